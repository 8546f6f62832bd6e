import type { RuleCondition } from "../../../worker/alerts/vocabulary";
import type { AlertRule } from "../../../worker/schemas/alerts";
import { assertNever } from "../../../shared/lang";

// How the alert screens name what a rule watches, keyed by the worker's own list of conditions.
export const RULE_CONDITION_LABELS: Record<RuleCondition, string> = {
  job_failed: "Failed jobs",
  verify_mismatch: "Verify Mismatch records",
  drifted: "Drifted records",
  record_failure_rate: "Record failure rate",
  slow_run: "Slow run",
  volume_change: "Volume change",
  missing_spike: "Destination missing spike",
  freshness: "Freshness (expected success missing)",
  destination_down: "Destination down (circuit breaker)",
  connection_paused: "Connection paused after failures",
};

export function thresholdLabel(condition: RuleCondition): string {
  switch (condition) {
    case "job_failed":
      return "Alert after N consecutive failures";
    case "verify_mismatch":
      return "Alert when a job has N or more Verify Mismatch records";
    case "drifted":
      return "Alert when a job has N or more Drifted records";
    case "record_failure_rate":
      return "Alert when N% or more of a job's in-scope records fail";
    case "slow_run":
    case "volume_change":
    case "missing_spike":
    case "freshness":
    case "destination_down":
    case "connection_paused":
      return "Not used by this condition";
    default:
      return assertNever(condition);
  }
}

export function ruleTrigger(rule: Pick<AlertRule, "condition" | "failure_threshold">): string {
  const n = rule.failure_threshold;
  switch (rule.condition) {
    case "job_failed":
      return `${n} consecutive ${n === 1 ? "failure" : "failures"}`;
    case "verify_mismatch":
      return `${n}+ Verify Mismatch ${n === 1 ? "record" : "records"} in a job`;
    case "drifted":
      return `${n}+ Drifted ${n === 1 ? "record" : "records"} in a job`;
    case "record_failure_rate":
      return `${n}%+ of a job's records failed`;
    case "slow_run":
      return "Run much slower than its median";
    case "volume_change":
      return "Volume outside the recent range";
    case "missing_spike":
      return "Jump in destination-missing share";
    case "freshness":
      return "No success for longer than expected";
    case "destination_down":
      return "Destination host failing across connections";
    case "connection_paused":
      return "Connection paused after failing runs";
    default:
      return assertNever(rule.condition);
  }
}
