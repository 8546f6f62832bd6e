import type { RuleCondition } from "../../../worker/alerts/vocabulary";
import type { AlertRule } from "../../../worker/schemas/alerts";
import { assertNever } from "../../../shared/lang";

// How the alert screens name what a rule watches, keyed by the worker's own list of conditions.
export const RULE_CONDITION_LABELS: Record<RuleCondition, string> = {
  job_failed: "Failed jobs",
  verify_mismatch: "Verify Mismatch records",
  drifted: "Drifted records",
};

export function thresholdLabel(condition: RuleCondition): string {
  switch (condition) {
    case "job_failed":
      return "Alert after N consecutive failures";
    case "verify_mismatch":
      return "Alert when a job has N or more Verify Mismatch records";
    case "drifted":
      return "Alert when a job has N or more Drifted records";
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
    default:
      return assertNever(rule.condition);
  }
}
