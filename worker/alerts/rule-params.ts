import type { FieldIssue } from "../domain-errors";
import type { RuleParams } from "../schemas/alerts";
import { ANOMALY_PARAMS } from "./anomaly-rules";
import type { RuleCondition } from "./vocabulary";

// Which `params` each condition reads. A parameter the rule's condition does not read is refused by name rather
// than stored and silently ignored.
export const RULE_PARAMS: Record<RuleCondition, ReadonlyArray<keyof RuleParams>> = {
  job_failed: [],
  verify_mismatch: [],
  drifted: [],
  record_failure_rate: [],
  freshness: [],
  destination_down: [],
  connection_paused: [],
  ...ANOMALY_PARAMS,
};

const PARAM_OWNERS: Record<keyof RuleParams, RuleCondition[]> = { factor: [], window: [], percent: [], metric: [] };
for (const [condition, keys] of Object.entries(RULE_PARAMS) as Array<[RuleCondition, ReadonlyArray<keyof RuleParams>]>) {
  for (const key of keys) PARAM_OWNERS[key].push(condition);
}

export function ruleParamsIssues(condition: RuleCondition, params: RuleParams): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(params) as Array<keyof RuleParams>) {
    if (params[key] === undefined || RULE_PARAMS[condition].includes(key)) continue;
    const owners = PARAM_OWNERS[key];
    issues.push({
      path: `params.${key}`,
      message: `${condition} does not use ${key}${owners.length > 0 ? ` (only ${owners.join(", ")} ${owners.length === 1 ? "does" : "do"})` : ""}`,
      in: "body",
    });
  }
  // Percentage points of a share: above 100 it could never fire, and 0 would fire on every run at the median.
  if (condition === "missing_spike" && params.percent !== undefined && (params.percent <= 0 || params.percent > 100)) {
    issues.push({ path: "params.percent", message: "missing_spike: the jump in percentage points must be above 0 and at most 100", in: "body" });
  }
  return issues;
}

// A rule moved to another condition keeps only the parameters the new condition reads.
export function paramsOf(condition: RuleCondition, params: RuleParams): RuleParams {
  const kept: Record<string, unknown> = {};
  for (const key of RULE_PARAMS[condition]) if (params[key] !== undefined) kept[key] = params[key];
  return kept as RuleParams;
}
