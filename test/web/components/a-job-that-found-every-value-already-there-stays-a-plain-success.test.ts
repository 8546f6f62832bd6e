import "@testing-library/svelte/vitest";
import { render, screen, within } from "@testing-library/svelte";
import { afterEach, expect, it, vi } from "vitest";
import JobDiagnosisNote from "../../../web/src/components/JobDiagnosisNote.svelte";
import RunFolderRow from "../../../web/src/components/RunFolderRow.svelte";
import type { JobDetail, JobDiagnosis } from "../../../web/src/lib/run-types";
import { RunEntry } from "../../../web/src/state/runs.svelte";
import { jsonResponse, makeJob, makeRun, makeRunDetail } from "../factories";

vi.hoisted(() => {
  sessionStorage.setItem("outbound-sync:session", JSON.stringify({ token: "osk_o_test", role: "operator", name: "e2e-operator" }));
});

const { default: JobDetailPage } = await import("../../../web/src/pages/JobDetailPage.svelte");

afterEach(() => {
  vi.unstubAllGlobals();
});

const UP_TO_DATE: JobDiagnosis = {
  code: "up_to_date",
  severity: "info",
  label: "already up to date",
  message: "Completed 325 records without a single write: the destination already held every value",
  hint: "Nothing to do. If you expected writes, inspect per-field action rules and diagnostics counters",
};

const RULES: JobDiagnosis = {
  code: "no_writes",
  severity: "warning",
  label: "nothing to write",
  message: "Completed 10 records without a single write: 2 skipped by rule, 8 unchanged",
  hint: "Inspect per-field action rules and diagnostics counters",
};

function folder(diagnoses: JobDiagnosis[][]) {
  const run = makeRun({ type: "full", mode: "live", status: "completed" });
  const jobs = diagnoses.map((found, index) =>
    makeJob({
      run_id: run.id,
      position: index + 1,
      connection_name: `Connection ${index + 1}`,
      status: "completed",
      in_scope: 10,
      processed: 10,
      diagnoses: found,
    }),
  );
  render(RunFolderRow, { entry: new RunEntry(run, jobs), expanded: true, ontoggle: () => {}, comparing: false, oncompare: () => {} });
  return screen.getByRole("article");
}

// An hourly full run in steady state finds nothing to change: amber on every such run would teach people to ignore amber.
it("an up-to-date run is a plain green Completed, run and jobs alike, with no note in the list", () => {
  const row = folder([[UP_TO_DATE], [UP_TO_DATE]]);

  const badges = within(row).getAllByText("Completed");
  expect(badges).toHaveLength(3);
  for (const badge of badges) {
    const element = badge.closest("[data-status]")!;
    expect(element.getAttribute("data-tone")).toBeNull();
    expect(element.getAttribute("data-icon")).toBe("check");
  }
  expect(within(row).queryByRole("note")).toBeNull();
});

it("the job page's note says it in blue, not the warning amber", () => {
  render(JobDiagnosisNote, { diagnoses: [UP_TO_DATE] });
  const note = screen.getByRole("note", { name: "What happened" });
  expect(note.classList.contains("info")).toBe(true);
  expect(note.textContent).toContain("the destination already held every value. Hint: Nothing to do.");

  render(JobDiagnosisNote, { diagnoses: [RULES] });
  const [, rules] = screen.getAllByRole("note", { name: "What happened" });
  expect(rules!.classList.contains("info")).toBe(false);
});

it("writes held back by rules still read as a warning beside an up-to-date connection", () => {
  const row = folder([[UP_TO_DATE], [RULES]]);

  const warned = within(row).getByText("Completed — nothing to write").closest("[data-status]")!;
  expect(warned.getAttribute("data-tone")).toBe("warning");
  // The run's own badge, and the up-to-date connection's.
  expect(within(row).getAllByText("Completed")).toHaveLength(2);
  const notes = within(row).getAllByRole("note", { name: "What happened" });
  expect(notes.map((note) => note.textContent)).toEqual([expect.stringContaining("2 skipped by rule, 8 unchanged")]);
});

it("the job page says why nothing was written, in blue under a plain Completed", async () => {
  const run = makeRunDetail({ mode: "live", status: "completed" }, [
    { connection_name: "Device status (XML)", status: "completed", in_scope: 325, processed: 325, skipped_no_change: 325, diagnoses: [UP_TO_DATE] },
  ]);
  const { id, credential_id, credential_name, type, serial, mode, trigger, requested_by, status } = run;
  const job: JobDetail = { ...run.jobs[0]!, run: { id, credential_id, credential_name, type, serial, mode, trigger, requested_by, status } };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL) => {
      const path = new URL(String(input), "http://localhost").pathname;
      if (path === `/api/jobs/${job.id}`) return jsonResponse(job);
      if (path === `/api/runs/${run.id}`) return jsonResponse(run);
      throw new Error(`unexpected request ${path}`);
    }),
  );
  render(JobDetailPage, { params: { id: job.id } });

  const note = await screen.findByRole("note", { name: "What happened" });
  expect(note.classList.contains("info")).toBe(true);
  expect(note.textContent).toContain("the destination already held every value");
  const badge = screen.getAllByText("Completed")[0]!.closest("[data-status]")!;
  expect([badge.getAttribute("data-tone"), badge.getAttribute("data-icon")]).toEqual([null, "check"]);
});
