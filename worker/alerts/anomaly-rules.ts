import { assertNever } from "../../shared/lang";
import { durationText } from "../stats/duration-text";
import type { RuleParams } from "../schemas/alerts";
import type { RuleCondition, VolumeMetric } from "./vocabulary";

// The anomaly rules: a finished job judged against the connection's recent finished jobs. Pure, so the
// job fan-out (job-conditions.ts) and the tests share one judgement.

export const ANOMALY_CONDITIONS = ["slow_run", "volume_change", "missing_spike"] as const satisfies readonly RuleCondition[];
export type AnomalyCondition = (typeof ANOMALY_CONDITIONS)[number];

export function isAnomalyCondition(condition: RuleCondition): condition is AnomalyCondition {
  return (ANOMALY_CONDITIONS as readonly RuleCondition[]).includes(condition);
}

// What a judgement reads of a job; the fan-out's JobHistory rows and JobFacts both fit. A job of a single-serial
// run (run_type "single", when known) is never a yardstick for, nor judged against, full runs.
export interface AnomalyJob {
  id: string;
  status: string;
  mode?: string | null;
  run_type?: string | null;
  duration_ms: number | null;
  in_scope: number | null;
  updated: number;
  would_update: number;
  missing_destination: number;
}

export const ANOMALY_DEFAULTS = { factor: 2, window: 10, percent: 20, metric: "in_scope" } as const satisfies Required<RuleParams>;
// Fewer earlier runs than this say too little about what is usual: no opinion yet.
export const MIN_ANOMALY_HISTORY = 3;

// The parameters each anomaly reads; any other parameter on such a rule is refused by the rule API.
export const ANOMALY_PARAMS = {
  slow_run: ["factor", "window"],
  volume_change: ["window", "percent", "metric"],
  missing_spike: ["window", "percent"],
} as const satisfies Record<AnomalyCondition, ReadonlyArray<keyof RuleParams>>;

export interface AnomalyVerdict {
  anomalous: boolean;
  // One line of the numbers, for the raise and for the recovery notice alike.
  summary: string;
  // What to check first.
  hint: string;
}

export const SLOW_RUN_HINT = "Check the job's log for slow or throttled destination requests (429, timeouts) and whether more records were in scope than usual";
export const VOLUME_HINTS: Record<VolumeMetric, string> = {
  in_scope: "Check the source and the connection's scope filter: a partial source export or a changed filter moves the in-scope count",
  updated: "Check for a mapping, formatter or field action rule change, or destination data changed outside this sync",
  would_update: "Check for a mapping, formatter or field action rule change, or destination data changed outside this sync",
};
// The seed's "Common Failure Patterns": Destination missing spike → likely cause — primary check.
export const MISSING_SPIKE_HINT = "Lookup path does not expose serial fields consistently — review fetch contract endpoint and destination serial visibility";

// null: no opinion — the job did not complete, is a single-serial run, lacks the number judged, or there are fewer
// than MIN_ANOMALY_HISTORY comparable earlier jobs. An open incident stays as it is then.
export function judgeAnomaly(condition: AnomalyCondition, params: RuleParams, job: AnomalyJob, history: readonly AnomalyJob[]): AnomalyVerdict | null {
  if (job.status !== "completed" || job.run_type === "single") return null;
  const window = params.window ?? ANOMALY_DEFAULTS.window;
  switch (condition) {
    case "slow_run":
      return slowRun(params.factor ?? ANOMALY_DEFAULTS.factor, job, comparable(job, history, window, { sameMode: true, has: (j) => j.duration_ms !== null }));
    case "volume_change": {
      const metric = params.metric ?? ANOMALY_DEFAULTS.metric;
      const usable = (j: AnomalyJob) => metricOf(j, metric) !== null;
      return volumeChange(metric, params.percent ?? ANOMALY_DEFAULTS.percent, job, comparable(job, history, window, { sameMode: true, has: usable }));
    }
    case "missing_spike":
      // The missing-destination share comes from the lookups, which a dry run does as a live run does.
      return missingSpike(
        params.percent ?? ANOMALY_DEFAULTS.percent,
        job,
        comparable(job, history, window, { sameMode: false, has: (j) => shareOf(j) !== null }),
      );
    default:
      return assertNever(condition);
  }
}

// The last `window` completed jobs before this one that can be compared with it, newest first.
function comparable(job: AnomalyJob, history: readonly AnomalyJob[], window: number, options: { sameMode: boolean; has: (j: AnomalyJob) => boolean }) {
  const picked: AnomalyJob[] = [];
  for (const earlier of history) {
    if (picked.length >= window) break;
    if (earlier.id === job.id || earlier.status !== "completed" || earlier.run_type === "single" || !options.has(earlier)) continue;
    if (options.sameMode && (earlier.mode ?? null) !== (job.mode ?? null)) continue;
    picked.push(earlier);
  }
  return picked;
}

function slowRun(factor: number, job: AnomalyJob, baseline: readonly AnomalyJob[]): AnomalyVerdict | null {
  if (job.duration_ms === null || baseline.length < MIN_ANOMALY_HISTORY) return null;
  const typical = median(baseline.map((j) => j.duration_ms ?? 0));
  const ratio = typical > 0 ? job.duration_ms / typical : Number.POSITIVE_INFINITY;
  return {
    anomalous: job.duration_ms > factor * typical,
    summary:
      `took ${durationText(job.duration_ms)}, ${Number.isFinite(ratio) ? `${fixed(ratio, 1)}×` : "far above"} the median ${durationText(typical)} ` +
      `of the last ${runs(baseline.length, `successful ${modeWord(job)}run`)} (alert above ${fixed(factor, 1)}×)`,
    hint: SLOW_RUN_HINT,
  };
}

function volumeChange(metric: VolumeMetric, percent: number, job: AnomalyJob, baseline: readonly AnomalyJob[]): AnomalyVerdict | null {
  const value = metricOf(job, metric);
  if (value === null || baseline.length < MIN_ANOMALY_HISTORY) return null;
  const values = baseline.map((j) => metricOf(j, metric) ?? 0);
  const min = Math.min(...values);
  const max = Math.max(...values);
  // Widened by `percent` of each bound, so a steady count (min = max) still has room.
  const low = min * (1 - percent / 100);
  const high = max * (1 + percent / 100);
  const anomalous = value < low || value > high;
  const usual = min === max ? count(min) : `${count(min)}–${count(max)}`;
  return {
    anomalous,
    summary:
      `${METRIC_WORDS[metric]} ${count(value)}, ${anomalous ? "outside" : "within"} the usual ${usual} of the last ` +
      `${runs(baseline.length, `completed ${modeWord(job)}run`)} (±${fixed(percent, 0)}%: ${count(Math.max(0, Math.ceil(low)))}–${count(Math.floor(high))})`,
    hint: VOLUME_HINTS[metric],
  };
}

function missingSpike(points: number, job: AnomalyJob, baseline: readonly AnomalyJob[]): AnomalyVerdict | null {
  const share = shareOf(job);
  if (share === null || baseline.length < MIN_ANOMALY_HISTORY) return null;
  const typical = median(baseline.map((j) => shareOf(j) ?? 0));
  const jump = (share - typical) * 100;
  return {
    anomalous: jump >= points,
    summary:
      `Missing Destination ${count(job.missing_destination)} of ${count(job.in_scope ?? 0)} in scope (${pct(share)}), ` +
      `${jump >= 0 ? `${fixed(jump, 1)} points above` : `${fixed(-jump, 1)} points below`} the median ${pct(typical)} ` +
      `of the last ${runs(baseline.length, "completed run")} (alert at +${fixed(points, 1)} points)`,
    hint: MISSING_SPIKE_HINT,
  };
}

const METRIC_WORDS: Record<VolumeMetric, string> = { in_scope: "In scope", updated: "Updated", would_update: "Would Update" };

function metricOf(job: AnomalyJob, metric: VolumeMetric): number | null {
  switch (metric) {
    case "in_scope":
      return job.in_scope;
    case "updated":
      return job.updated;
    case "would_update":
      return job.would_update;
    default:
      return assertNever(metric);
  }
}

function shareOf(job: AnomalyJob): number | null {
  return job.in_scope === null || job.in_scope <= 0 ? null : job.missing_destination / job.in_scope;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function modeWord(job: AnomalyJob): string {
  return job.mode === "dry" ? "dry " : job.mode === "live" ? "live " : "";
}

function runs(n: number, noun: string): string {
  return n === 1 ? noun : `${n} ${noun}s`;
}

function count(n: number): string {
  return Math.round(n).toLocaleString("en");
}

function pct(share: number): string {
  return `${fixed(share * 100, 1)}%`;
}

// Trims a trailing ".0" so 2× reads "2×", not "2.0×".
function fixed(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.0+$/, "");
}
