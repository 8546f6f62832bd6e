import { outboundUrlPolicy } from "../auth/url-safety";
import type { Env } from "../env";
import { missingConnectionIds } from "../ledger/alerts-rules";
import { validationError, type FieldIssue } from "./errors";
import { outboundUrlIssues } from "./outbound-url-checks";

// What the channel and rule routers share: their OpenAPI tag and the checks of URLs and connection ids
// that a schema cannot make.

export const ALERT_TAGS = ["Alerts"];

export const jsonBody = <T>(schema: T) => ({ required: true, content: { "application/json": { schema } } });

export async function requireConnections(env: Env, ids: string[] | null): Promise<void> {
  const issues = await connectionIssues(env, ids);
  if (issues.length > 0) throw validationError(issues);
}

export async function connectionIssues(env: Env, ids: string[] | null): Promise<FieldIssue[]> {
  if (ids === null) return [];
  const missing = new Set(await missingConnectionIds(env.LEDGER, ids));
  return ids.flatMap((id, index) =>
    missing.has(id) ? [{ path: `connection_ids[${index}]`, message: `no connection with id "${id}"`, in: "body" as const }] : [],
  );
}

export function checkUrls(env: Env, urls: Array<[field: string, url: string]>): void {
  const issues = outboundUrlIssues(urls, outboundUrlPolicy(env));
  if (issues.length > 0) throw validationError(issues);
}
