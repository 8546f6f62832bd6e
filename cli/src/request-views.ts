import type { Schemas } from "./api-client";
import type { Column } from "./table";

// The request inspector in a terminal: a job's destination requests as a table, and one of them in full, headers
// and bodies as the API gives them (credentials masked; bodies only for operators and admins).

type RequestEntry = Schemas["RequestEntry"];

const SERIALS_SHOWN = 1;

function serialsText(serials: readonly string[]): string {
  const more = serials.length - SERIALS_SHOWN;
  return serials.slice(0, SERIALS_SHOWN).join(", ") + (more > 0 ? ` +${more}` : "");
}

const outcomeText = (entry: RequestEntry) => (entry.status === null ? "error" : String(entry.status));

export const REQUEST_COLUMNS: Column<RequestEntry>[] = [
  { header: "SEQ", value: (entry) => String(entry.seq), align: "right" },
  { header: "AT", value: (entry) => entry.at },
  { header: "PHASE", value: (entry) => entry.phase },
  { header: "REQUEST", value: (entry) => `${entry.method} ${entry.url}` },
  { header: "STATUS", value: outcomeText, align: "right" },
  { header: "MS", value: (entry) => String(entry.duration_ms), align: "right" },
  { header: "TRY", value: (entry) => String(entry.attempt), align: "right" },
  { header: "SERIALS", value: (entry) => serialsText(entry.serials) },
  { header: "ERROR", value: (entry) => entry.error ?? "" },
];

// As `curl -v` shows an exchange: "> " what was sent, "< " what came back.
export function requestText(entry: RequestEntry): string {
  const retried = entry.retry_reason === null ? "" : ` (after ${entry.retry_reason.replaceAll("_", " ")})`;
  const concurrency = entry.concurrency === null ? "" : `, ${entry.concurrency} allowed in flight`;
  const lines = [`#${entry.seq}  ${entry.at}  ${entry.phase}, attempt ${entry.attempt}${retried}${concurrency}`, `> ${entry.method} ${entry.url}`];
  lines.push(...Object.entries(entry.request_headers).map(([name, value]) => `> ${name}: ${value}`));
  lines.push(...bodyLines(">", entry.request_body, entry));
  lines.push(entry.status === null ? `< no answer after ${entry.duration_ms} ms` : `< ${entry.status} in ${entry.duration_ms} ms`);
  lines.push(...Object.entries(entry.response_headers).map(([name, value]) => `< ${name}: ${value}`));
  lines.push(...bodyLines("<", entry.response_body, entry));
  if (entry.error !== null) lines.push(`Error: ${entry.error}`);
  if (entry.serials.length > 0) lines.push(`Serials: ${entry.serials.join(", ")}`);
  if (entry.bodies_hidden) lines.push("Bodies are shown to operators and admins only.");
  else if (entry.truncated) lines.push("A body was longer than the excerpt the settings keep (request_log.body_excerpt_bytes) and was cut.");
  return lines.join("\n") + "\n";
}

function bodyLines(side: ">" | "<", body: string | null, entry: RequestEntry): string[] {
  if (body === null || body === "" || entry.bodies_hidden) return [];
  return [side, ...body.split(/\r?\n/).map((line) => `${side} ${line}`)];
}
