import { assertNever } from "../../shared/lang";
import type { FanOutRule } from "./fan-out";
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
}

export interface JobConditionFacts {
  // The job's new status (the event's, which wins over the row).
  status: string;
  job: JobFacts | null;
  // Failed jobs in a row ending with this one (0 unless a rule needs it).
  consecutiveFailures: number;
  // The connection's earlier finished jobs, newest first, not this one (empty unless a rule needs it).
  history: readonly JobHistory[];
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
    case "record_failure_rate":
    case "slow_run":
    case "volume_change":
    case "missing_spike":
      // Filled in by their owners (issue 17); until then no opinion.
      return null;
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
    default:
      return {};
  }
}

function outcomeRecords(condition: "verify_mismatch" | "drifted", job: JobFacts | null): number {
  return condition === "verify_mismatch" ? (job?.verify_mismatch ?? 0) : (job?.drifted ?? 0);
}
