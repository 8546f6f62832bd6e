import type { Schemas } from "./api-client";
import { formatTable, type Column } from "./table";
import { STATUS_WORD } from "./words";
import { dashboardPaths, dashboardUrl } from "../../shared/dashboard-paths";
import { completedWarning } from "../../shared/job-note";

type RunSummary = Schemas["RunSummary"];
type RunDetail = Schemas["RunDetail"];
type JobSummary = Schemas["JobSummary"];

// Runs and jobs as people read them in a terminal; --json prints the API's own objects instead.

export function runStatusText(run: RunSummary | JobSummary): string {
  // Held back by an open destination breaker: "running" alone would hide why nothing moves.
  if (run.waiting) return `${STATUS_WORD[run.status]}, paused: ${run.waiting.host} is failing`;
  if (run.status_detail !== null) return run.status_detail;
  // A completed job whose counters warn (Missing Source, nothing to write…) says so, as the dashboard's badge does;
  // an up-to-date one (info) stays plain Completed.
  const warning = "diagnoses" in run ? completedWarning(run) : null;
  return warning ? `${STATUS_WORD[run.status]} — ${warning.label}` : STATUS_WORD[run.status];
}

const RUN_COLUMNS: Column<RunSummary>[] = [
  { header: "RUN", value: (run) => run.id },
  { header: "STATUS", value: runStatusText },
  { header: "TYPE", value: (run) => (run.type === "single" ? `single ${run.serial ?? ""}`.trim() : run.type) },
  { header: "MODE", value: (run) => run.mode ?? "per connection" },
  { header: "CREDENTIAL", value: (run) => run.credential_name },
  { header: "TRIGGER", value: (run) => run.trigger },
  { header: "CREATED", value: (run) => run.created_at },
];

export function runsTable(runs: readonly RunSummary[]): string {
  return runs.length === 0 ? "No runs match.\n" : formatTable(RUN_COLUMNS, runs);
}

export function jobProgress(job: JobSummary): string {
  return job.in_scope === null ? `${job.processed}` : `${job.processed} of ${job.in_scope}`;
}

const count = (header: string, value: (job: JobSummary) => number): Column<JobSummary> => ({
  header,
  value: (job) => String(value(job)),
  align: "right",
});

const JOB_COLUMNS: Column<JobSummary>[] = [
  { header: "JOB", value: (job) => job.id },
  { header: "CONNECTION", value: (job) => job.connection_name },
  { header: "STATUS", value: runStatusText },
  { header: "PROCESSED", value: jobProgress, align: "right" },
  count("WOULD UPDATE", (job) => job.would_update),
  count("UPDATED", (job) => job.updated),
  count("SKIPPED", (job) => job.skipped_rule + job.skipped_no_change),
  count("MISSING", (job) => job.missing_source + job.missing_destination),
  count("FAILED", (job) => job.failed),
];

/**
 * A run's heading line and its jobs, with each failed job's error and hint under the table, then the run's page on
 * the dashboard (the worker at `baseUrl` serves it), so a CI log links straight to it.
 */
export function runDetailText(run: RunDetail, baseUrl: string): string {
  const mode = run.mode ?? "each connection's own mode";
  const heading = `Run ${run.id}: ${runStatusText(run)} (${run.type}, ${mode}, credential "${run.credential_name}")\n`;
  const link = `Dashboard: ${dashboardUrl(baseUrl, dashboardPaths.run(run.id))}\n`;
  if (run.jobs.length === 0) return heading + link;
  const errors = run.jobs.flatMap((job) =>
    job.error ? [`${job.connection_name}: ${job.error.message}${job.error.hint ? `\n  Hint: ${job.error.hint}` : ""}\n`] : [],
  );
  return heading + formatTable(JOB_COLUMNS, run.jobs) + errors.join("") + link;
}
