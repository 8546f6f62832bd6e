import "@testing-library/svelte/vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import RecordsPanel from "../../../web/src/components/RecordsPanel.svelte";
import { JobRecordsState } from "../../../web/src/state/job-detail.svelte";
import type { RecordOutcome } from "../../../web/src/lib/run-types";
import { jsonResponse, makeRecord } from "../factories";

// Answers GET /api/jobs/{id}/records like the API: the action filter picks the records.
function serveRecords(records: RecordOutcome[]) {
  const asked: Array<string | null> = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const action = new URL(String(input), "http://localhost").searchParams.get("action");
      asked.push(action);
      return jsonResponse({ data: records.filter((record) => action === null || record.action === action), next_cursor: null });
    }),
  );
  return asked;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

const HINT = "the destination accepted the write but stored a different value for name";

describe("the Records tab", () => {
  it("shows a Verify Mismatch with each field as expected → found and the hint, and offers the new actions as filters", async () => {
    const asked = serveRecords([
      makeRecord({ serial: "DEV-00001", action: "verified", http_status: 200 }),
      makeRecord({
        serial: "DEV-00002",
        action: "verify_mismatch",
        http_status: 200,
        differences: [{ field: "name", expected: "Pump 7", found: "PUMP 7", side: "stored" }],
        error: HINT,
      }),
      makeRecord({
        serial: "DEV-00003",
        action: "drifted",
        differences: [{ field: "site", expected: "Oslo", found: null, side: "destination" }],
      }),
    ]);
    render(RecordsPanel, { records: new JobRecordsState("job_1") });

    const mismatch = (await screen.findByText("DEV-00002")).closest("tr")!;
    expect(within(mismatch).getByText("Verify Mismatch")).toBeTruthy();
    const difference = within(mismatch).getByRole("list", { name: "Differences (expected → found)" });
    expect(difference.textContent?.replace(/\s+/g, " ").trim()).toBe("name: Pump 7 →but found PUMP 7");
    expect(within(mismatch).getByText(HINT)).toBeTruthy();

    const drifted = screen.getByText("DEV-00003").closest("tr")!;
    expect(within(drifted).getByText("Drifted")).toBeTruthy();
    expect(drifted.textContent).toContain("site: Oslo →but found ∅ (destination)");
    expect(within(screen.getByText("DEV-00001").closest("tr")!).getByText("Verified")).toBeTruthy();

    const filter = screen.getByLabelText<HTMLSelectElement>("Action");
    expect([...filter.options].map((option) => option.text)).toEqual(expect.arrayContaining(["Drifted", "Verified", "Verify Mismatch"]));
    await fireEvent.change(filter, { target: { value: "verify_mismatch" } });
    await vi.waitFor(() => expect(screen.queryByText("DEV-00001")).toBeNull());
    expect(asked.at(-1)).toBe("verify_mismatch");
  });
});
