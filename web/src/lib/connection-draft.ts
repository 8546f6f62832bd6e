import type {
  FetchContract,
  FieldAction,
  FieldRule,
  Formatter,
  Limits,
  OnNull,
  Pagination,
  PayloadFormat,
  SourceContract,
  UpdateContract,
} from "../../../worker/engine/contracts";
import type { Connection, ConnectionConfig, ConnectionSnapshot } from "../../../worker/schemas/types";

// The editor works on text, as people type it; the API validates what the text becomes, and its
// answer names the same paths the form uses (config.fetch.url_template …).

export type SourceKind = SourceContract["kind"];
export type FetchMode = FetchContract["mode"];
export type UpdateMethod = UpdateContract["method"];
export type PaginationStyle = Pagination["style"];

// Labels keyed by the engine's own unions: a new formatter or action fails the type check here.
export const FORMATTER_LABELS: Record<Formatter, string> = {
  string: "string",
  number: "number",
  integer: "integer",
  boolean: "boolean",
  iso_date: "iso_date (ISO 8601 date)",
  epoch_ms: "epoch_ms (milliseconds)",
  lowercase: "lowercase",
  uppercase: "uppercase",
  trim: "trim",
  map: "map (enum table)",
  default: "default (constant when null)",
  template: "template (\"{a} {b}\")",
};
export const ACTION_LABELS: Record<FieldAction, string> = {
  update_if_changed: "Update if changed",
  always: "Always write",
  never: "Never (compare only)",
};
export const ON_NULL_LABELS: Record<OnNull, string> = {
  skip: "Skip (keep destination)",
  write_null: "Write null",
};
export const METHOD_LABELS: Record<UpdateMethod, string> = { PUT: "PUT", PATCH: "PATCH", POST: "POST" };
export const FORMAT_LABELS: Record<PayloadFormat, string> = { json: "JSON", xml: "XML" };
export const SOURCE_KIND_LABELS: Record<SourceKind, string> = {
  http: "HTTP (GET a URL)",
  dataset: "Dataset (records pushed through the API)",
};
export const FETCH_MODE_LABELS: Record<FetchMode, string> = {
  per_serial: "Per serial (GET a URL template with {serial})",
  list: "List (GET a paged listing once per run)",
};
export const PAGINATION_LABELS: Record<PaginationStyle, string> = {
  none: "None",
  page: "Page number",
  cursor: "Cursor",
  link: "Next link",
};

export function optionsOf<K extends string>(labels: Record<K, string>): Array<{ value: K; label: string }> {
  return (Object.keys(labels) as K[]).map((value) => ({ value, label: labels[value] }));
}

export interface HeaderDraft {
  key: number;
  name: string;
  value: string;
}

export interface PaginationDraft {
  style: PaginationStyle;
  page_param: string;
  size_param: string;
  page_size: string;
  first_page: string;
  cursor_param: string;
  next_cursor_path: string;
  next_url_path: string;
}

export interface RuleDraft {
  key: number;
  source: string;
  destination: string;
  formatter: Formatter;
  action: FieldAction;
  on_null: OnNull;
  required: boolean;
  map: string;
  default_value: string;
  template: string;
}

// Fields of both variants are kept, so switching a contract's kind back and forth loses nothing.
export interface ConnectionDraft {
  name: string;
  enabled: boolean;
  dry_run: boolean;
  debug: boolean;
  schedule: string;
  source: {
    kind: SourceKind;
    url: string;
    headers: HeaderDraft[];
    pagination: PaginationDraft;
    records_path: string;
    serial_path: string;
    updated_at_path: string;
    since_param: string;
  };
  fetch: {
    mode: FetchMode;
    url_template: string;
    url: string;
    format: PayloadFormat;
    record_path: string;
    records_path: string;
    serial_path: string;
    headers: HeaderDraft[];
    pagination: PaginationDraft;
  };
  update: {
    method: UpdateMethod;
    url_template: string;
    formatter: PayloadFormat;
    xml_root: string;
    headers: HeaderDraft[];
    success_statuses: string;
    bulk: boolean;
    bulk_max_records: string;
    bulk_records_key: string;
    bulk_serial_field: string;
    // Off sends no key; an empty name means the API's default header (Idempotency-Key).
    idempotency: boolean;
    idempotency_header: string;
  };
  mapping: RuleDraft[];
  limits: {
    requests_per_second: string;
    concurrency: string;
    timeout_ms: string;
    retry_attempts: string;
    stop_on_failure: boolean;
    max_response_bytes: string;
    max_pages: string;
  };
}

let nextKey = 1;
export function newKey(): number {
  nextKey += 1;
  return nextKey;
}

function headersDraft(headers: Record<string, string> | undefined): HeaderDraft[] {
  return Object.entries(headers ?? {}).map(([name, value]) => ({ key: newKey(), name, value }));
}

function paginationDraft(pagination: Pagination | undefined): PaginationDraft {
  const draft: PaginationDraft = {
    style: pagination?.style ?? "none",
    page_param: "page",
    size_param: "",
    page_size: "100",
    first_page: "1",
    cursor_param: "cursor",
    next_cursor_path: "",
    next_url_path: "",
  };
  switch (pagination?.style) {
    case "page":
      draft.page_param = pagination.page_param;
      draft.size_param = pagination.size_param ?? "";
      draft.page_size = String(pagination.page_size);
      draft.first_page = String(pagination.first_page);
      break;
    case "cursor":
      draft.cursor_param = pagination.cursor_param;
      draft.next_cursor_path = pagination.next_cursor_path;
      break;
    case "link":
      draft.next_url_path = pagination.next_url_path ?? "";
      break;
    default:
      break;
  }
  return draft;
}

// Literals as a person would type them: true, 42, null, "quoted text"; anything else is text.
export function literalText(value: unknown): string {
  return typeof value === "string" && !/^(true|false|null|-?\d+(\.\d+)?|".*")$/.test(value) ? value : JSON.stringify(value);
}

export function parseLiteral(text: string): string | number | boolean | null {
  const trimmed = text.trim();
  if (/^(true|false|null|-?\d+(\.\d+)?|".*")$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as string | number | boolean | null;
    } catch {
      return trimmed; // an unbalanced quote is just text
    }
  }
  return text;
}

export function mapTableText(map: Record<string, unknown> | undefined): string {
  return Object.entries(map ?? {})
    .map(([from, to]) => `${from} = ${literalText(to)}`)
    .join("\n");
}

// One "source = destination" pair per line; blank lines are ignored.
export function parseMapTable(text: string): Record<string, string | number | boolean | null> {
  const table: Record<string, string | number | boolean | null> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const at = line.indexOf("=");
    const from = (at === -1 ? line : line.slice(0, at)).trim();
    const to = at === -1 ? "" : line.slice(at + 1).trim();
    table[from] = parseLiteral(to);
  }
  return table;
}

export function ruleDraft(rule?: Partial<FieldRule>): RuleDraft {
  return {
    key: newKey(),
    source: rule?.source ?? "",
    destination: rule?.destination ?? "",
    formatter: rule?.formatter ?? "string",
    action: rule?.action ?? "update_if_changed",
    on_null: rule?.on_null ?? "skip",
    required: rule?.required ?? false,
    map: mapTableText(rule?.options?.map),
    default_value: rule?.options?.default === undefined ? "" : literalText(rule.options.default),
    template: rule?.options?.template ?? "",
  };
}

export function draftFromSnapshot(snapshot: ConnectionSnapshot): ConnectionDraft {
  const { config } = snapshot;
  const source = config.source;
  const fetch = config.fetch;
  const update = config.update;
  return {
    name: snapshot.name,
    enabled: snapshot.enabled,
    dry_run: snapshot.dry_run,
    debug: snapshot.debug,
    schedule: snapshot.schedule ?? "",
    source: {
      kind: source.kind,
      url: source.kind === "http" ? source.url : "",
      headers: headersDraft(source.kind === "http" ? source.headers : undefined),
      pagination: paginationDraft(source.kind === "http" ? source.pagination : undefined),
      records_path: source.kind === "http" ? source.records_path : "",
      serial_path: source.kind === "http" ? source.serial_path : "serial",
      updated_at_path: source.kind === "http" ? (source.updated_at_path ?? "") : "",
      since_param: source.kind === "http" ? (source.since_param ?? "") : "",
    },
    fetch: {
      mode: fetch.mode,
      url_template: fetch.mode === "per_serial" ? fetch.url_template : "",
      url: fetch.mode === "list" ? fetch.url : "",
      format: fetch.format,
      record_path: fetch.mode === "per_serial" ? fetch.record_path : "",
      records_path: fetch.mode === "list" ? fetch.records_path : "",
      serial_path: fetch.serial_path,
      headers: headersDraft(fetch.headers),
      pagination: paginationDraft(fetch.mode === "list" ? fetch.pagination : undefined),
    },
    update: {
      method: update.method,
      url_template: update.url_template,
      formatter: update.formatter,
      xml_root: update.xml_root ?? "",
      headers: headersDraft(update.headers),
      success_statuses: update.success_statuses?.join(", ") ?? "",
      bulk: update.bulk !== undefined,
      bulk_max_records: String(update.bulk?.max_records ?? 50),
      bulk_records_key: update.bulk?.records_key ?? "records",
      bulk_serial_field: update.bulk?.serial_field ?? "",
      idempotency: update.idempotency_header !== null && update.idempotency_header !== false,
      idempotency_header: typeof update.idempotency_header === "string" ? update.idempotency_header : "",
    },
    mapping: config.mapping.map((rule) => ruleDraft(rule)),
    limits: {
      requests_per_second: String(config.limits.requests_per_second),
      concurrency: String(config.limits.concurrency),
      timeout_ms: String(config.limits.timeout_ms),
      retry_attempts: String(config.limits.retry_attempts),
      stop_on_failure: config.limits.stop_on_failure,
      max_response_bytes: String(config.limits.max_response_bytes),
      max_pages: String(config.limits.max_pages),
    },
  };
}

export function draftFromConnection(connection: Connection): ConnectionDraft {
  const { name, enabled, dry_run, debug, schedule, config } = connection;
  return draftFromSnapshot({ name, enabled, dry_run, debug, schedule, config });
}

// What a new connection starts from: dry run on, a dataset source and one rule to edit.
export function newConnectionDraft(): ConnectionDraft {
  return draftFromSnapshot({
    name: "",
    enabled: true,
    dry_run: true,
    debug: false,
    schedule: null,
    config: {
      source: { kind: "dataset" },
      fetch: { mode: "per_serial", url_template: "https://", format: "json", record_path: "", serial_path: "serial", headers: {} },
      update: { method: "PATCH", url_template: "https://", formatter: "json", headers: {} },
      mapping: [
        { source: "status", destination: "status", formatter: "string", action: "update_if_changed", on_null: "skip", required: false },
      ],
      limits: { requests_per_second: 10, concurrency: 2, timeout_ms: 10_000, retry_attempts: 3, stop_on_failure: false, max_response_bytes: 10_485_760, max_pages: 100_000 },
    },
  });
}

// Empty text means "not set": the field is left out and the API's default applies.
const optional = (text: string): string | undefined => (text.trim() === "" ? undefined : text.trim());
// Not-a-number goes out as null, so the API names the field instead of the form guessing.
const numberOf = (text: string): number => (text.trim() === "" ? Number.NaN : Number(text));

function headersOf(rows: readonly HeaderDraft[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows) {
    if (row.name.trim() === "" && row.value === "") continue;
    out[row.name.trim()] = row.value;
  }
  return out;
}

function paginationOf(draft: PaginationDraft): Pagination {
  switch (draft.style) {
    case "none":
      return { style: "none" };
    case "page": {
      const sizeParam = optional(draft.size_param);
      return {
        style: "page",
        page_param: draft.page_param.trim(),
        ...(sizeParam === undefined ? {} : { size_param: sizeParam }),
        page_size: numberOf(draft.page_size),
        first_page: numberOf(draft.first_page),
      };
    }
    case "cursor":
      return { style: "cursor", cursor_param: draft.cursor_param.trim(), next_cursor_path: draft.next_cursor_path.trim() };
    case "link": {
      const nextUrl = optional(draft.next_url_path);
      return nextUrl === undefined ? { style: "link" } : { style: "link", next_url_path: nextUrl };
    }
  }
}

function sourceOf(draft: ConnectionDraft["source"]): SourceContract {
  if (draft.kind === "dataset") return { kind: "dataset" };
  const updatedAt = optional(draft.updated_at_path);
  const since = optional(draft.since_param);
  return {
    kind: "http",
    url: draft.url.trim(),
    headers: headersOf(draft.headers),
    pagination: paginationOf(draft.pagination),
    format: "json",
    records_path: draft.records_path.trim(),
    serial_path: draft.serial_path.trim(),
    ...(updatedAt === undefined ? {} : { updated_at_path: updatedAt }),
    ...(since === undefined ? {} : { since_param: since }),
  };
}

function fetchOf(draft: ConnectionDraft["fetch"]): FetchContract {
  if (draft.mode === "per_serial") {
    return {
      mode: "per_serial",
      url_template: draft.url_template.trim(),
      format: draft.format,
      record_path: draft.record_path.trim(),
      serial_path: draft.serial_path.trim(),
      headers: headersOf(draft.headers),
    };
  }
  return {
    mode: "list",
    url: draft.url.trim(),
    format: draft.format,
    pagination: paginationOf(draft.pagination),
    records_path: draft.records_path.trim(),
    serial_path: draft.serial_path.trim(),
    headers: headersOf(draft.headers),
  };
}

function statusesOf(text: string): number[] | undefined {
  const parts = text.split(/[\s,]+/).filter((part) => part !== "");
  return parts.length === 0 ? undefined : parts.map(Number);
}

function updateOf(draft: ConnectionDraft["update"]): UpdateContract {
  const xmlRoot = optional(draft.xml_root);
  const statuses = statusesOf(draft.success_statuses);
  const serialField = optional(draft.bulk_serial_field);
  const idempotency = draft.idempotency ? optional(draft.idempotency_header) : null;
  return {
    method: draft.method,
    url_template: draft.url_template.trim(),
    formatter: draft.formatter,
    ...(xmlRoot === undefined ? {} : { xml_root: xmlRoot }),
    headers: headersOf(draft.headers),
    ...(statuses === undefined ? {} : { success_statuses: statuses }),
    ...(idempotency === undefined ? {} : { idempotency_header: idempotency }),
    ...(draft.bulk
      ? {
          bulk: {
            max_records: numberOf(draft.bulk_max_records),
            records_key: draft.bulk_records_key.trim(),
            ...(serialField === undefined ? {} : { serial_field: serialField }),
          },
        }
      : {}),
  };
}

export function ruleOf(draft: RuleDraft): FieldRule {
  const source = optional(draft.source);
  const options: NonNullable<FieldRule["options"]> = {};
  if (draft.formatter === "map") options.map = parseMapTable(draft.map);
  if (draft.formatter === "default" && draft.default_value.trim() !== "") {
    const value = parseLiteral(draft.default_value);
    options.default = value === null ? "null" : value;
  }
  if (draft.formatter === "template") options.template = draft.template;
  return {
    ...(source === undefined ? {} : { source }),
    destination: draft.destination.trim(),
    formatter: draft.formatter,
    ...(Object.keys(options).length === 0 ? {} : { options }),
    action: draft.action,
    on_null: draft.on_null,
    required: draft.required,
  };
}

function limitsOf(draft: ConnectionDraft["limits"]): Limits {
  return {
    requests_per_second: numberOf(draft.requests_per_second),
    concurrency: numberOf(draft.concurrency),
    timeout_ms: numberOf(draft.timeout_ms),
    retry_attempts: numberOf(draft.retry_attempts),
    stop_on_failure: draft.stop_on_failure,
    max_response_bytes: numberOf(draft.max_response_bytes),
    max_pages: numberOf(draft.max_pages),
  };
}

export function configOf(draft: ConnectionDraft): ConnectionConfig {
  return {
    source: sourceOf(draft.source),
    fetch: fetchOf(draft.fetch),
    update: updateOf(draft.update),
    mapping: draft.mapping.map(ruleOf),
    limits: limitsOf(draft.limits),
  };
}

export function snapshotOf(draft: ConnectionDraft): ConnectionSnapshot {
  const schedule = optional(draft.schedule);
  return {
    name: draft.name.trim(),
    enabled: draft.enabled,
    dry_run: draft.dry_run,
    debug: draft.debug,
    schedule: schedule ?? null,
    config: configOf(draft),
  };
}

function paginationPaths(prefix: string, draft: PaginationDraft): string[] {
  const base = `${prefix}.pagination`;
  switch (draft.style) {
    case "none":
      return [base, `${base}.style`];
    case "page":
      return [base, `${base}.style`, `${base}.page_param`, `${base}.size_param`, `${base}.page_size`, `${base}.first_page`];
    case "cursor":
      return [base, `${base}.style`, `${base}.cursor_param`, `${base}.next_cursor_path`];
    case "link":
      return [base, `${base}.style`, `${base}.next_url_path`];
  }
}

// Every API path the editor shows a field (or a section) for, given what is switched on.
export function draftFieldPaths(draft: ConnectionDraft): string[] {
  const paths = ["name", "enabled", "dry_run", "debug", "schedule", "config"];
  const s = "config.source";
  paths.push(s, `${s}.kind`);
  if (draft.source.kind === "http") {
    paths.push(`${s}.url`, `${s}.headers`, `${s}.records_path`, `${s}.serial_path`, `${s}.updated_at_path`, `${s}.since_param`);
    paths.push(...paginationPaths(s, draft.source.pagination));
  }
  const f = "config.fetch";
  paths.push(f, `${f}.mode`, `${f}.format`, `${f}.serial_path`, `${f}.headers`);
  if (draft.fetch.mode === "per_serial") paths.push(`${f}.url_template`, `${f}.record_path`);
  else paths.push(`${f}.url`, `${f}.records_path`, ...paginationPaths(f, draft.fetch.pagination));
  const u = "config.update";
  paths.push(u, `${u}.method`, `${u}.url_template`, `${u}.formatter`, `${u}.headers`, `${u}.success_statuses`);
  if (draft.update.idempotency) paths.push(`${u}.idempotency_header`);
  if (draft.update.formatter === "xml") paths.push(`${u}.xml_root`);
  if (draft.update.bulk) paths.push(`${u}.bulk`, `${u}.bulk.max_records`, `${u}.bulk.records_key`, `${u}.bulk.serial_field`);
  paths.push("config.mapping");
  draft.mapping.forEach((rule, index) => {
    const r = `config.mapping[${index}]`;
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
