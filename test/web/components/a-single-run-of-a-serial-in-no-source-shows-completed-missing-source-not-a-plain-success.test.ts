import "@testing-library/svelte/vitest";
import { render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import RunFolderRow from "../../../web/src/components/RunFolderRow.svelte";
import type { JobDiagnosis } from "../../../web/src/lib/run-types";
import { RunEntry } from "../../../web/src/state/runs.svelte";
import { makeJob, makeRun } from "../factories";

const MISSING_SOURCE: JobDiagnosis = {
  code: "all_missing_source",
  severity: "warning",
  label: "Missing Source",
  message: "Nothing to write: the record is Missing Source (not in the source, or without a field the mapping requires)",
  hint: "Check that the serial is in the source (the connection's dataset or source contract) with every field the mapping requires",
};

function folder(diagnoses: JobDiagnosis[], counters: Partial<Parameters<typeof makeJob>[0]>) {
  const run = makeRun({ type: "single", serial: "DEV-99999", status: "completed", trigger: "manual", requested_by: "Ada (admin)" });
  const jobs = ["Device status (JSON)", "Device status (XML)"].map((name, index) =>
    makeJob({ run_id: run.id, position: index + 1, connection_name: name, status: "completed", in_scope: 1, processed: 1, diagnoses, ...counters }),
  );
  render(RunFolderRow, { entry: new RunEntry(run, jobs), expanded: true, ontoggle: () => {}, comparing: false, oncompare: () => {} });
  return screen.getByRole("article");
}

describe("a Single run of a serial that is in no source", () => {
  it("shows Completed — Missing Source in a warning tone, and says why nothing was written with the source hint", () => {
    const row = folder([MISSING_SOURCE], { missing_source: 1 });

    const badges = within(row).getAllByText("Completed — Missing Source");
    // The run's status and each connection's.
    expect(badges).toHaveLength(3);
    for (const badge of badges) {
      const element = badge.closest("[data-status]")!;
      expect(element.getAttribute("data-tone")).toBe("warning");
      expect(element.getAttribute("data-icon")).toBe("warning");
    }
    expect(within(row).queryByText("Completed")).toBeNull();
    const notes = within(row).getAllByRole("note", { name: "What happened" });
    expect(notes).toHaveLength(2);
    expect(notes[0]!.textContent).toContain("DEV-99999:");
    expect(notes[0]!.textContent).toContain("Missing Source (not in the source");
    expect(notes[0]!.textContent).toContain("Hint: Check that the serial is in the source");
    expect(row.textContent).not.toContain("action rules");
  });

  it("keeps a plain green Completed for a serial that was found and would update", () => {
    const row = folder([], { would_update: 1 });

    const badges = within(row).getAllByText("Completed");
    expect(badges).toHaveLength(3);
    expect(badges[0]!.closest("[data-status]")!.getAttribute("data-icon")).toBe("check");
    expect(within(row).queryByRole("note")).toBeNull();
  });

  it("names who started it: Manual — the person", () => {
    const row = folder([], { would_update: 1 });

    expect(within(row).getByText("Manual — Ada (admin)")).toBeTruthy();
  });
});
