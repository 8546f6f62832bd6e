import type { RuleCondition, VolumeMetric } from "../../../worker/alerts/vocabulary";
import type { RuleParams } from "../../../worker/schemas/alerts";

// The worker's tables (worker/alerts/rule-params.ts, anomaly-rules.ts), restated because the SPA imports only the
// worker's types; a web test holds them equal.
export const RULE_PARAMS: Record<RuleCondition, ReadonlyArray<keyof RuleParams>> = {
  job_failed: [],
  verify_mismatch: [],
  drifted: [],
  record_failure_rate: [],
  slow_run: ["factor", "window"],
  volume_change: ["window", "percent", "metric"],
  missing_spike: ["window", "percent"],
  freshness: [],
  destination_down: [],
  connection_paused: [],
};
export const ANOMALY_DEFAULTS = { factor: 2, window: 10, percent: 20, metric: "in_scope" } as const satisfies Required<RuleParams>;

// A rule's `params` as the form holds them: text fields, blank meaning the condition's default.
export interface RuleParamsDraft {
  factor: string;
  window: string;
  percent: string;
  metric: VolumeMetric;
}

// The form places the server's issues about each parameter at its field.
export const RULE_PARAM_FIELDS = ["params.factor", "params.window", "params.percent", "params.metric"] as const;

export function emptyParamsDraft(): RuleParamsDraft {
  return { factor: "", window: "", percent: "", metric: "in_scope" };
}

export function paramsDraftOf(params: RuleParams): RuleParamsDraft {
  const text = (value: number | undefined) => (value === undefined ? "" : String(value));
  return { factor: text(params.factor), window: text(params.window), percent: text(params.percent), metric: params.metric ?? "in_scope" };
}

export function usesParam(condition: RuleCondition, key: keyof RuleParams): boolean {
  return RULE_PARAMS[condition].includes(key);
}

// Only the parameters the condition reads; a non-numeric entry goes out as NaN (JSON null) so the server names the field.
export function paramsOfDraft(condition: RuleCondition, draft: RuleParamsDraft): RuleParams {
  const params: RuleParams = {};
  const number = (text: string) => (text.trim() === "" ? undefined : Number(text));
  for (const key of RULE_PARAMS[condition]) {
    if (key === "metric") params.metric = draft.metric;
    else {
      const value = number(draft[key]);
      if (value !== undefined) params[key] = value;
    }
  }
  return params;
}

// Equal in effect for the condition: a parameter left out is its default.
export function sameParams(condition: RuleCondition, a: RuleParams, b: RuleParams): boolean {
  return RULE_PARAMS[condition].every((key) => Object.is(a[key] ?? ANOMALY_DEFAULTS[key], b[key] ?? ANOMALY_DEFAULTS[key]));
}
