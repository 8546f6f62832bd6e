import { invalidInput } from "../domain-errors";
import { planChanged } from "./apply";
import type { Env } from "../env";
import { outboundUrlPolicy, contractUrls, checkOutboundUrl } from "../auth/url-safety";
import { CHANNEL_KIND_REGISTRY, type ChannelKindEntry } from "../alerts/channel-kinds";
import { readConfigState } from "../ledger/config-state";
import type { ConfigPlan } from "../schemas/config-as-code";
import type { ConfigDocument } from "../schemas/config-document";
import type { FieldIssue } from "../domain-errors";
import { desiredConfig, exportDocument, storedConfig, type DesiredConfig } from "./entries";
import { planConfig, type PlanSteps } from "./plan";
import { sha256Hex } from "../../shared/sha256";

// A validated document against the ledger as it is now: the plan (with its id) and what apply needs.

export interface PlannedConfig {
  plan: ConfigPlan;
  desired: DesiredConfig;
  steps: PlanSteps;
}

export async function planDocument(env: Env, document: ConfigDocument): Promise<PlannedConfig> {
  const desired = desiredConfig(document);
  const issues = urlIssues(env, desired);
  const { plan, steps, issues: planIssues } = planConfig(desired, storedConfig(await readConfigState(env.LEDGER)));
  issues.push(...planIssues);
  if (issues.length > 0) throw invalidInput(issues);
  return { plan: { plan_id: await planId(plan), ...plan }, desired, steps };
}

export async function exportConfig(env: Env): Promise<Required<ConfigDocument>> {
  return exportDocument(storedConfig(await readConfigState(env.LEDGER)));
}

export function assertPlanId(plan: ConfigPlan, expected: string | undefined): void {
  if (expected !== undefined && expected !== plan.plan_id) {
    throw planChanged(plan.plan_id);
  }
}

// The document's outbound URLs against the deployment's rules, as the API checks them on create.
function urlIssues(env: Env, desired: DesiredConfig): FieldIssue[] {
  const policy = outboundUrlPolicy(env);
  const urls: Array<[string, string]> = [];
  desired.connections?.forEach((entry, i) =>
    urls.push(...contractUrls(entry.config).map(([path, url]): [string, string] => [`connections[${i}].${path}`, url])),
  );
  desired.credentials?.forEach((entry, i) => {
    for (const field of ["token_url", "authorize_url", "sts_url"] as const) {
      const url = (entry.config as Record<string, unknown>)[field];
      if (typeof url === "string" && url !== "") urls.push([`credentials[${i}].config.${field}`, url]);
    }
  });
  desired.channels?.forEach((entry, i) => {
    const kind: ChannelKindEntry = CHANNEL_KIND_REGISTRY[entry.kind];
    for (const field of kind.outboundUrls) if (typeof entry[field] === "string") urls.push([`alert_channels[${i}].${field}`, entry[field]]);
  });
  return urls.flatMap(([path, url]) => {
    const problem = checkOutboundUrl(url, policy);
    return problem === null ? [] : [{ path, message: problem, in: "body" as const }];
  });
}

async function planId(plan: Omit<ConfigPlan, "plan_id">): Promise<string> {
  return sha256Hex(canonicalJson(plan));
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
