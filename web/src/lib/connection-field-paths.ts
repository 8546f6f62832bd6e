import type { z } from "@hono/zod-openapi";
import type { createConnectionBodySchema, updateConnectionBodySchema } from "../../../worker/schemas/connections";
import type { ConnectionDraft, PaginationDraft } from "./connection-draft";

type Leaf = string | number | boolean | bigint | symbol | null | undefined;

// Each path below a value, as a validation error names it: ".fetch.url", ".mapping[0].source". A record
// (headers, an enum table) ends the walk: its keys are data, and an error inside one goes to the record.
type Suffix<T> = T extends readonly (infer Item)[]
  ? `[${number}]` | `[${number}]${Suffix<Item>}`
  : T extends Leaf
    ? never
    : string extends keyof T
      ? never
      : { [K in keyof T & string]-?: `.${K}` | `.${K}${Suffix<Exclude<T[K], undefined>>}` }[keyof T & string];
type DropDot<S> = S extends `.${infer Path}` ? Path : never;
export type Paths<T> = DropDot<Suffix<T>>;

// The paths both the create and the change request accept, read from the zod schemas that validate them:
// a field renamed in the API fails the type check of the list below.
export type ConnectionFieldPath = Extract<Paths<z.input<typeof createConnectionBodySchema>>, Paths<z.input<typeof updateConnectionBodySchema>>>;

function paginationPaths(prefix: "config.source" | "config.fetch", draft: PaginationDraft): ConnectionFieldPath[] {
  const base = `${prefix}.pagination` as const;
  switch (draft.style) {
    case "none":
      return [base, `${base}.style`];
    case "page":
      return [base, `${base}.style`, `${base}.page_param`, `${base}.size_param`, `${base}.page_size`, `${base}.first_page`];
    case "offset":
      return [base, `${base}.style`, `${base}.offset_param`, `${base}.limit_param`, `${base}.page_size`, `${base}.first_offset`];
    case "cursor":
      return [base, `${base}.style`, `${base}.cursor_param`, `${base}.next_cursor_path`];
    case "keyset":
      return [base, `${base}.style`, `${base}.after_param`, `${base}.key_path`, `${base}.has_more_path`];
    case "link":
      return [base, `${base}.style`, `${base}.next_url_path`];
    case "range":
      return [base, `${base}.style`, `${base}.chunk_bytes`];
  }
}

// Every API path the editor shows a field (or a section) for, given what is switched on.
export function draftFieldPaths(draft: ConnectionDraft): ConnectionFieldPath[] {
  const paths: ConnectionFieldPath[] = ["name", "enabled", "dry_run", "debug", "schedule", "config"];
  paths.push("freshness_sla_minutes");
  const s = "config.source";
  paths.push(s, `${s}.kind`);
  if (draft.source.kind === "dataset") paths.push(`${s}.serial_path`);
  if (draft.source.kind === "http") {
    paths.push(`${s}.url`, `${s}.format`, `${s}.headers`, `${s}.records_path`, `${s}.serial_path`, `${s}.updated_at_path`, `${s}.since_param`);
    paths.push(...paginationPaths(s, draft.source.pagination));
  }
  const f = "config.fetch";
  paths.push(f, `${f}.mode`, `${f}.format`, `${f}.serial_path`, `${f}.headers`);
  if (draft.fetch.mode === "per_serial") paths.push(`${f}.url_template`, `${f}.record_path`);
  else paths.push(`${f}.url`, `${f}.records_path`, ...paginationPaths(f, draft.fetch.pagination));
  const u = "config.update";
  paths.push(u, `${u}.method`, `${u}.url_template`, `${u}.formatter`, `${u}.headers`, `${u}.success_statuses`, `${u}.record_refusal_statuses`);
  if (draft.update.answer_check.on) {
    const a = `${u}.answer_check` as const;
    paths.push(a, `${a}.error_path`, `${a}.ok_path`, `${a}.message_path`);
  }
  if (draft.update.idempotency) paths.push(`${u}.idempotency_header`);
  paths.push(`${u}.if_match`, `${u}.if_match.from`);
  if (draft.update.if_match_from === "record") paths.push(`${u}.if_match.path`);
  paths.push(`${u}.verify_writes`);
  if (draft.update.verify_writes === "sample") paths.push(`${u}.verify_sample_percent`);
  if (draft.update.formatter === "xml") paths.push(`${u}.xml_root`);
  if (draft.update.bulk) paths.push(`${u}.bulk`, `${u}.bulk.max_records`, `${u}.bulk.records_key`, `${u}.bulk.serial_field`);
  if (draft.update.bulk && draft.update.bulk_item_results.on) {
    const r = `${u}.bulk.item_results` as const;
    const { match } = draft.update.bulk_item_results;
    paths.push(r, `${r}.path`, `${r}.status_path`, `${r}.message_path`);
    if (match !== "position") paths.push(match === "serial" ? `${r}.serial_path` : `${r}.index_path`);
  }
  paths.push("config.mapping");
  draft.mapping.forEach((rule, index) => {
    const r = `config.mapping[${index}]` as const;
    paths.push(r, `${r}.source`, `${r}.destination`, `${r}.formatter`, `${r}.action`, `${r}.on_null`, `${r}.required`);
    if (rule.formatter === "map") paths.push(`${r}.options.map`);
    if (rule.formatter === "default") paths.push(`${r}.options.default`);
    if (rule.formatter === "template") paths.push(`${r}.options.template`);
  });
  const l = "config.limits";
  paths.push(l, `${l}.requests_per_second`, `${l}.concurrency`, `${l}.timeout_ms`, `${l}.retry_attempts`, `${l}.stop_on_failure`);
  paths.push(`${l}.max_response_bytes`, `${l}.max_pages`);
  return paths;
}
