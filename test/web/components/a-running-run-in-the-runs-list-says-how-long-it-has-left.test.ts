import "@testing-library/svelte/vitest";
import { render, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import RunFolderRow from "../../../web/src/components/RunFolderRow.svelte";
import { RunEntry } from "../../../web/src/state/runs.svelte";
import { makeRun } from "../factories";

function row(run: ReturnType<typeof makeRun>) {
  const { container } = render(RunFolderRow, { entry: new RunEntry(run, null), expanded: false, ontoggle: () => {}, comparing: false, oncompare: () => {} });
  return container.querySelector("article")!;
}

describe("the runs list", () => {
  it("gives a running run's estimate beside its duration, and none once it has finished", () => {
    const eta = { remaining_ms: 190_000, finish_at: new Date(Date.now() + 190_000).toISOString() };
    const running = row(makeRun({ status: "running", mode: "live", eta }));
    expect(within(running).getByTitle("Estimated from the last minute's rate").textContent).toBe("about 3 min left");

    expect(within(row(makeRun({ status: "running", mode: "live", eta: null }))).queryByTitle("Estimated from the last minute's rate")).toBeNull();
    // A finished run's row would only count down to a finish that already happened.
    expect(within(row(makeRun({ status: "completed", mode: "live", eta }))).queryByTitle("Estimated from the last minute's rate")).toBeNull();
  });
});
