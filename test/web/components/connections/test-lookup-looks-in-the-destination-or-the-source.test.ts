import "@testing-library/svelte/vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TestLookupState } from "../../../../web/src/state/connection-actions.svelte";
import type { TestLookupResult } from "../../../../worker/schemas/types";
import { jsonResponse } from "../../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_a_test", role: "operator", name: "e2e-operator" }));
});

const { default: TestLookupPanel } = await import("../../../../web/src/components/connections/TestLookupPanel.svelte");

const missing: TestLookupResult = {
  outcome: "missing",
  request: { method: "GET", url: "https://warehouse.example.com/devices.csv?page=3", status: 200, duration_ms: 12 },
  requests: 3,
  raw_response: "serial,name\r\n",
  raw_response_truncated: false,
  record: null,
  missing_reason: "not_in_source",
  detail: "serial is not in the 3 pages of the source",
};

// Answers every lookup with `result`; the request bodies sent are kept in the list returned.
function answerLookups(result: TestLookupResult): unknown[] {
  const bodies: unknown[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_input: RequestInfo | URL, init?: RequestInit) => {
      bodies.push(JSON.parse(String(init?.body)));
      return jsonResponse(result);
    }),
  );
  return bodies;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("test lookup, in the destination or the source", () => {
  it("asks the API to look in the source when Source is chosen, and names a miss there Missing Source", async () => {
    const bodies = answerLookups(missing);
    render(TestLookupPanel, { connectionId: "conn_csv", lookup: new TestLookupState(), lockedReason: null, unsaved: false, version: 4 });

    await fireEvent.change(screen.getByLabelText("Look in"), { target: { value: "source" } });
    await fireEvent.input(screen.getByLabelText("Serial"), { target: { value: "DEV-99999" } });
    await fireEvent.click(screen.getByRole("button", { name: "Test lookup" }));

    expect(await screen.findByText("Missing Source")).toBeTruthy();
    expect(bodies).toEqual([{ serial: "DEV-99999", contract: "source" }]);
    expect(screen.getByText("serial is not in the 3 pages of the source")).toBeTruthy();
    expect(screen.getByText("No source record was resolved.")).toBeTruthy();
  });

  it("looks in the destination by default", async () => {
    const bodies = answerLookups({ ...missing, missing_reason: "not_found", detail: undefined });
    render(TestLookupPanel, { connectionId: "conn_csv", lookup: new TestLookupState(), lockedReason: null, unsaved: false, version: 4 });

    await fireEvent.click(screen.getByRole("button", { name: "Test lookup" }));

    expect(await screen.findByText("Missing Destination")).toBeTruthy();
    expect(bodies).toEqual([{ serial: "DEV-00001", contract: "fetch" }]);
  });
});
