import type { RuleCondition, VolumeMetric } from "../../../worker/alerts/vocabulary";
import type { AlertRule } from "../../../worker/schemas/alerts";
import { assertNever } from "../../../shared/lang";
import { ANOMALY_DEFAULTS } from "./rule-params-draft";

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

export function ruleTrigger(rule: Pick<AlertRule, "condition" | "failure_threshold"> & Partial<Pick<AlertRule, "params">>): string {
  const n = rule.failure_threshold;
  const params = { ...ANOMALY_DEFAULTS, ...rule.params };
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
      return `Run over ${params.factor}× its median (last ${params.window} runs)`;
    case "volume_change":
      return `${METRIC_LABELS[params.metric]} outside the recent range ±${params.percent}% (last ${params.window} runs)`;
    case "missing_spike":
      return `Missing Destination share up ${params.percent}+ points (last ${params.window} runs)`;
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

// The rule form's line under "Alert on": what the condition watches and when it recovers.
export function conditionHint(condition: RuleCondition): string {
  switch (condition) {
    case "job_failed":
      return "Failed jobs of a connection in a row.";
    case "verify_mismatch":
      return "Records the destination accepted but stored differently, found by read-back verification (Verify writes in the connection's update contract).";
    case "drifted":
      return "Serials an apply run did not write because the destination or source changed since the dry run.";
    case "record_failure_rate":
      return "The share of a job's in-scope records that failed.";
    case "slow_run":
      return "A completed job that took much longer than the connection's recent successful runs.";
    case "volume_change":
      return "A completed job whose count is outside the range of the connection's recent runs of the same mode.";
    case "missing_spike":
      return "A jump in the share of in-scope records missing at the destination, against the connection's recent runs.";
    case "freshness":
      return "No successful run for longer than the schedule or the connection's freshness SLA allows.";
    case "destination_down":
      return "A destination host failing across connections, paused by the circuit breaker.";
    case "connection_paused":
      return "A connection paused after failing too many runs in a row.";
    default:
      return assertNever(condition);
  }
}

export function usesThreshold(condition: RuleCondition): boolean {
  return thresholdLabel(condition) !== "Not used by this condition";
}

// The volume-change rule's counters, in the outcome words of the jobs view.
export const METRIC_LABELS: Record<VolumeMetric, string> = { in_scope: "In scope", updated: "Updated", would_update: "Would Update" };
