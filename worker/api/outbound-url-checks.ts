import { checkOutboundUrl, type OutboundUrlPolicy } from "../auth/url-safety";
import type { ConnectionConfig } from "../engine/contracts";
import type { FieldIssue } from "./errors";

/** Every URL a connection will call, with the field that holds it. */
export function contractUrls(config: ConnectionConfig): Array<[field: string, url: string]> {
  const urls: Array<[string, string]> = [];
  if (config.source.kind === "http") urls.push(["config.source.url", config.source.url]);
  if (config.fetch.mode === "per_serial") urls.push(["config.fetch.url_template", config.fetch.url_template]);
  else urls.push(["config.fetch.url", config.fetch.url]);
  urls.push(["config.update.url_template", config.update.url_template]);
  return urls;
}

export function outboundUrlIssues(urls: Array<[field: string, url: string]>, policy: OutboundUrlPolicy): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [path, url] of urls) {
    const problem = checkOutboundUrl(url, policy);
    if (problem !== null) issues.push({ path, message: problem, in: "body" });
  }
  return issues;
}
