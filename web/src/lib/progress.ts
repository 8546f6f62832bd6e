import { keysOf } from "../../../shared/lang";
import type { JobSummary, RecordAction, RunMode } from "./run-types";
import { isTerminal } from "./statuses";

export interface Progress {
  processed: number;
  // Records in scope; null while no connection has counted its scope yet.
  inScope: number | null;
  // 0–1 for the bar; null when nothing is known yet (an indeterminate bar).
  fraction: number | null;
  // False while some connection has not counted its scope: N grows as they start.
  scopeComplete: boolean;
  label: string;
}

type ProgressFields = Pick<JobSummary, "status" | "processed" | "in_scope"> & Partial<Pick<JobSummary, "diagnoses">>;

function clamp(value: number): number {
  return Math.min(1, Math.max(0, value));
}

function jobFraction(job: ProgressFields): number | null {
  if (job.in_scope === null) return isTerminal(job.status) ? 1 : job.status === "pending" ? 0 : null;
  if (job.in_scope === 0) return isTerminal(job.status) ? 1 : 0;
  return clamp(job.processed / job.in_scope);
}

export function progressLabel(processed: number, inScope: number | null, scopeComplete = true): string {
  const x = processed.toLocaleString("en");
  if (inScope === null) return `${x} processed, scope not counted yet`;
  return `${x} of ${inScope.toLocaleString("en")}${scopeComplete ? "" : "+"} in scope`;
}

// An incremental job with nothing in scope says so, where "0 of 0" alone reads like an empty source.
const UNCHANGED = ": nothing changed since the last sync";

// The API's own verdict (a completed incremental job with nothing in scope), not worked out again here.
function foundNothingChanged(job: ProgressFields): boolean {
  return job.diagnoses?.some((diagnosis) => diagnosis.code === "nothing_changed") ?? false;
}

// One connection row: "X of N in scope".
export function jobProgress(job: ProgressFields): Progress {
  return {
    processed: job.processed,
    inScope: job.in_scope,
    fraction: jobFraction(job),
    scopeComplete: job.in_scope !== null,
    label: `${progressLabel(job.processed, job.in_scope)}${foundNothingChanged(job) ? UNCHANGED : ""}`,
  };
}

// A whole run: records add up across connections; the bar gives each connection an equal share,
// so a run of three moves a third when its first connection finishes.
export function runProgress(jobs: readonly ProgressFields[]): Progress {
  if (jobs.length === 0) {
    return { processed: 0, inScope: null, fraction: null, scopeComplete: false, label: progressLabel(0, null) };
  }
  let processed = 0;
  let inScope: number | null = null;
  let scopeComplete = true;
  let share = 0;
  let unknown = false;
  for (const job of jobs) {
    processed += job.processed;
    if (job.in_scope === null) scopeComplete = false;
    else inScope = (inScope ?? 0) + job.in_scope;
    const fraction = jobFraction(job);
    if (fraction === null) unknown = true;
    else share += fraction;
  }
  const fraction = unknown && share === 0 ? null : clamp(share / jobs.length);
  const unchanged = jobs.every(foundNothingChanged) ? UNCHANGED : "";
  return { processed, inScope, fraction, scopeComplete, label: `${progressLabel(processed, inScope, scopeComplete)}${unchanged}` };
}

// The record actions a dashboard counts, the two kinds of skip shown as one.
export type CounterKey = Exclude<RecordAction, "skipped_rule" | "skipped_no_change"> | "skipped";
export type Counters = Record<CounterKey, number> & { skipped_rule: number; skipped_no_change: number };

export const COUNTER_LABEL: Record<CounterKey, string> = {
  would_update: "Would Update",
  updated: "Updated",
  skipped: "Skipped",
  missing_source: "Missing Source",
  missing_destination: "Missing Destination",
  failed: "Failed",
  drifted: "Drifted",
  verified: "Verified",
  verify_mismatch: "Verify Mismatch",
};
export const COUNTER_KEYS: readonly CounterKey[] = keysOf(COUNTER_LABEL);

// The seed's mini dashboard for dry rows, and the live rows' counters.
const SHOWN: Record<RunMode, readonly CounterKey[]> = {
  dry: ["would_update", "skipped", "missing_source", "missing_destination"],
  live: ["updated", "skipped", "missing_source", "missing_destination", "failed"],
};
// Read-back and apply outcomes: shown (after Updated, or last for Drifted) only when a job has them.
const LIVE_WHEN_COUNTED: readonly CounterKey[] = ["verified", "verify_mismatch", "drifted"];

type CounterFields = Pick<
  JobSummary,
  | "would_update"
  | "updated"
  | "skipped_rule"
  | "skipped_no_change"
  | "missing_source"
  | "missing_destination"
  | "failed"
  | "drifted"
  | "verified"
  | "verify_mismatch"
>;

export function countersOf(jobs: readonly CounterFields[]): Counters {
  const totals: Counters = {
    would_update: 0,
    updated: 0,
    skipped: 0,
    skipped_rule: 0,
    skipped_no_change: 0,
    missing_source: 0,
    missing_destination: 0,
    failed: 0,
    drifted: 0,
    verified: 0,
    verify_mismatch: 0,
  };
  for (const job of jobs) {
    totals.would_update += job.would_update;
    totals.updated += job.updated;
    totals.skipped_rule += job.skipped_rule;
    totals.skipped_no_change += job.skipped_no_change;
    totals.missing_source += job.missing_source;
    totals.missing_destination += job.missing_destination;
    totals.failed += job.failed;
    totals.drifted += job.drifted;
    totals.verified += job.verified;
    totals.verify_mismatch += job.verify_mismatch;
  }
  totals.skipped = totals.skipped_rule + totals.skipped_no_change;
  return totals;
}

export interface CounterCell {
  key: CounterKey;
  label: string;
  value: number;
}

// A dry run that hit failures shows them too: a count that adds up matters more than a tidy four.
export function counterCells(counters: Counters, mode: RunMode): CounterCell[] {
  const keys = mode === "dry" ? (counters.failed > 0 ? [...SHOWN.dry, "failed" as const] : SHOWN.dry) : liveKeys(counters);
  return keys.map((key) => ({ key, label: COUNTER_LABEL[key], value: counters[key] }));
}

function liveKeys(counters: Counters): CounterKey[] {
  const extra = (key: CounterKey) => LIVE_WHEN_COUNTED.includes(key) && counters[key] > 0;
  const keys: CounterKey[] = [];
  for (const key of SHOWN.live) {
    keys.push(key);
    if (key === "updated") keys.push(...(["verified", "verify_mismatch"] as const).filter(extra));
  }
  if (extra("drifted")) keys.push("drifted");
  return keys;
}

// Records written: a write that was read back (verified or not) was written all the same.
export function writtenCount(counters: Pick<Counters, "updated" | "verified" | "verify_mismatch">): number {
  return counters.updated + counters.verified + counters.verify_mismatch;
}

export function formatSkippedSplit(counters: Counters): string {
  return `${counters.skipped_rule.toLocaleString("en")} by rule, ${counters.skipped_no_change.toLocaleString("en")} no change`;
}
