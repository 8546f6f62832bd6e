import { assertNever } from "../../shared/lang";
import { judgeAnomaly, type AnomalyCondition, type AnomalyVerdict } from "./anomaly-rules";
import type { FanOutRule, OpenIncident } from "./fan-out";
import type { AlertLevel } from "./incident-state";
import type { AlertDetails, JobFacts } from "./payload";
import type { RuleCondition } from "./vocabulary";

// How each rule condition judges a finished job, from plain data: the level it puts the rule's incident
// for the job's connection at, or null when this condition is judged elsewhere (the minute tick, the
// destination circuit breaker) or has no opinion about this job.

/** One of the connection's earlier finished jobs, newest first (ledger column names). */
export interface JobHistory {
  id: string;
  status: string;
  mode: string | null;
  duration_ms: number | null;
  in_scope: number | null;
  processed: number;
  updated: number;
  would_update: number;
  missing_destination: number;
  failed: number;
  finished_at: number | null;
  // full or single: a single-serial run is no yardstick for the anomaly rules.
  run_type: string | null;
}

export interface JobConditionFacts {
  // The job's new status (the event's, which wins over the row).
  status: string;
  job: JobFacts | null;
  // Failed jobs in a row ending with this one (0 unless a rule needs it).
  consecutiveFailures: number;
  // The connection's earlier finished jobs, newest first, not this one (empty unless a rule needs it).
  history: readonly JobHistory[];
  // The job's run type (full or single), when the run is known.
  runType?: string | null;
}

// How far back a rule may look; the fan-out reads this many earlier jobs at most.
export const MAX_HISTORY = 50;

/** Whether judging this rule needs the connection's earlier jobs. */
export function needsHistory(rule: Pick<FanOutRule, "condition">): boolean {
  switch (rule.condition) {
    case "slow_run":
    case "volume_change":
    case "missing_spike":
      return true;
    default:
      return false;
  }
}

/**
 * Whether a job of this connection is judged against its earlier jobs: a rule watching it needs them, or an
 * open incident of it does (its rule perhaps disabled since: the incident is still judged, see fan-out.ts).
 */
export function connectionNeedsHistory(
  rules: readonly Pick<FanOutRule, "condition" | "connectionIds">[],
  openIncidents: readonly Pick<OpenIncident, "condition" | "connectionId">[],
  connectionId: string,
): boolean {
  return (
    rules.some((r) => needsHistory(r) && (r.connectionIds === null || r.connectionIds.includes(connectionId))) ||
    openIncidents.some((i) => i.connectionId === connectionId && needsHistory(i))
  );
}

export function jobLevel(rule: FanOutRule, facts: JobConditionFacts): AlertLevel | null {
  const { status, job } = facts;
  if (status !== "completed" && status !== "failed") return null;
  const condition: RuleCondition = rule.condition;
  switch (condition) {
    case "job_failed":
      // A failure streak below the threshold neither raises nor ends an open incident; a completed job ends it.
      if (status === "completed") return "ok";
      return facts.consecutiveFailures >= rule.failureThreshold ? rule.severity : null;
    case "verify_mismatch":
    case "drifted": {
      const records = outcomeRecords(condition, job);
      if (records >= rule.failureThreshold) return rule.severity;
      // Only a completed live job without any such record shows the outcome is gone.
      return status === "completed" && job?.mode === "live" && records === 0 ? "ok" : null;
    }
    case "record_failure_rate": {
      // failure_threshold is a percent of the job's records; a failed job below it says nothing about recovery.
      if (failurePercent(job) >= rule.failureThreshold) return rule.severity;
      return status === "completed" ? "ok" : null;
    }
    case "slow_run":
    case "volume_change":
    case "missing_spike": {
      // Only a completed job is judged; a failed one leaves the incident as it is.
      const verdict = anomalyVerdict(condition, rule, facts);
      if (verdict === null) return null;
      return verdict.anomalous ? rule.severity : "ok";
    }
    case "freshness":
    case "destination_down":
    case "connection_paused":
      // Judged by the minute tick, the circuit breaker and the run-finish path, not from one job.
      return null;
    default:
      return assertNever(condition);
  }
}

/** What a job-judged alert says about what it found, beyond the rule's own fields. */
export function jobAlertDetails(rule: FanOutRule, facts: JobConditionFacts): Pick<AlertDetails, "records" | "summary" | "hint"> {
  switch (rule.condition) {
    case "job_failed":
      return { records: null };
    case "verify_mismatch":
    case "drifted":
      return { records: outcomeRecords(rule.condition, facts.job) };
    case "slow_run":
    case "volume_change":
    case "missing_spike": {
      const verdict = anomalyVerdict(rule.condition, rule, facts);
      return verdict === null ? {} : { summary: verdict.summary, hint: verdict.hint };
    }
    case "record_failure_rate":
      return {
        records: facts.job?.failed ?? 0,
        summary: failureRateSummary(facts.job, rule.failureThreshold),
        hint: "Open the job's failed records: their errors say whether the destination refused the payload, a field mapping is wrong or the destination is struggling",
      };
    default:
      return {};
  }
}

function anomalyVerdict(condition: AnomalyCondition, rule: FanOutRule, facts: JobConditionFacts): AnomalyVerdict | null {
  if (facts.job === null) return null;
  return judgeAnomaly(condition, rule.params, { ...facts.job, status: facts.status, run_type: facts.runType ?? null }, facts.history);
}

function outcomeRecords(condition: "verify_mismatch" | "drifted", job: JobFacts | null): number {
  return condition === "verify_mismatch" ? (job?.verify_mismatch ?? 0) : (job?.drifted ?? 0);
}

// Failed records as a percent of the records in scope (of those processed while the scope is unknown); 0 for none.
function failurePercent(job: JobFacts | null): number {
  if (job === null) return 0;
  const base = job.in_scope ?? job.processed;
  return base > 0 ? (job.failed / base) * 100 : 0;
}

function failureRateSummary(job: JobFacts | null, threshold: number): string {
  const failed = job?.failed ?? 0;
  const base = job?.in_scope ?? job?.processed ?? 0;
  const percent = Math.round(failurePercent(job) * 10) / 10;
  return `${failed} of ${base} records failed (${percent}%, alert at ${threshold}%)`;
}
