import { checkOutboundUrl, type OutboundUrlPolicy } from "../auth/url-safety";
import type { FieldIssue } from "./errors";

export { contractUrls } from "../auth/url-safety";

export function outboundUrlIssues(urls: Array<[field: string, url: string]>, policy: OutboundUrlPolicy): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const [path, url] of urls) {
    const problem = checkOutboundUrl(url, policy);
    if (problem !== null) issues.push({ path, message: problem, in: "body" });
  }
  return issues;
}
