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

// The hint as the read-back records it in the outcome's error; the Records tab words it from the differences.
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
    expect(difference.textContent?.replace(/\s+/g, " ").trim()).toBe("name: Pump 7 →but found PUMP 7 (the destination stored)");
    // Said once: the error that repeats the hint is not shown again.
    expect(
      within(mismatch)
        .getAllByText(/stored a different value for name/i)
        .map((node) => node.textContent),
    ).toEqual(["The destination accepted the write but stored a different value for name."]);

    const drifted = screen.getByText("DEV-00003").closest("tr")!;
    expect(within(drifted).getByText("Drifted")).toBeTruthy();
    expect(drifted.textContent).toContain("site: Oslo →but found ∅ (changed in the destination since the plan)");
    expect(drifted.textContent).toContain("Not written: site changed in the destination since the plan. Run a new dry run to plan it again.");
    expect(within(screen.getByText("DEV-00001").closest("tr")!).getByText("Verified")).toBeTruthy();

    const filter = screen.getByLabelText<HTMLSelectElement>("Action");
    expect([...filter.options].map((option) => option.text)).toEqual(expect.arrayContaining(["Drifted", "Verified", "Verify Mismatch"]));
    await fireEvent.change(filter, { target: { value: "verify_mismatch" } });
    await vi.waitFor(() => expect(screen.queryByText("DEV-00001")).toBeNull());
    expect(asked.at(-1)).toBe("verify_mismatch");
  });

  it("names every field that did not hold, on either side, and keeps a failure's own error", async () => {
    serveRecords([
      makeRecord({
        serial: "DEV-00002",
        action: "verify_mismatch",
        http_status: 200,
        differences: [
          { field: "firmware", expected: "2.1.0", found: "2.0.9", side: "stored" },
          { field: "tags", expected: ["a", "b"], found: null, side: "stored" },
        ],
      }),
      makeRecord({
        serial: "DEV-00003",
        action: "drifted",
        differences: [
          { field: "status", expected: "active", found: "retired", side: "destination" },
          { field: "site", expected: "Oslo", found: "Bergen", side: "source" },
        ],
      }),
      makeRecord({ serial: "DEV-00004", action: "failed", error: "HTTP 500 from the destination" }),
    ]);
    render(RecordsPanel, { records: new JobRecordsState("job_1") });
    const row = async (serial: string) => ((await screen.findByText(serial)).closest("tr")?.textContent ?? "").replace(/\s+/g, " ");

    const mismatch = await row("DEV-00002");
    expect(mismatch).toContain('tags: ["a","b"] →but found ∅ (the destination stored)');
    expect(mismatch).toContain("The destination accepted the write but stored a different value for firmware and tags.");
    const drifted = await row("DEV-00003");
    expect(drifted).toContain("status: active →but found retired (changed in the destination since the plan)");
    expect(drifted).toContain("site: Oslo →but found Bergen (changed in the source since the plan)");
    expect(drifted).toContain(
      "Not written: status changed in the destination since the plan; site changed in the source since the plan. Run a new dry run to plan it again.",
    );
    expect(await row("DEV-00004")).toContain("HTTP 500 from the destination");
  });
});
