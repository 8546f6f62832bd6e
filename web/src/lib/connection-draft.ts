import type {
  AnswerCheck,
  BulkItemResults,
  FetchContract,
  FieldAction,
  FieldRule,
  Formatter,
  IfMatch,
  OnNull,
  Pagination,
  PayloadFormat,
  SourceFormat,
  UpdateFormat,
  SourceContract,
  UpdateContract,
  VerifyWrites,
} from "../../../worker/engine/contracts";
import type { Connection, ConnectionSnapshot } from "../../../worker/schemas/types";
import { literalText, mapTableText } from "./literal-text";

// The editor works on text, as people type it, and this is the draft it edits, read from a saved
// connection. connection-config-from-draft.ts turns it back into what the API validates.

export type SourceKind = SourceContract["kind"];
export type FetchMode = FetchContract["mode"];
export type UpdateMethod = UpdateContract["method"];
export type PaginationStyle = Pagination["style"];

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
  offset_param: string;
  limit_param: string;
  first_offset: string;
  cursor_param: string;
  next_cursor_path: string;
  after_param: string;
  key_path: string;
  has_more_path: string;
  next_url_path: string;
  // Range paging: the size of each range in KiB, as typed.
  chunk_kib: string;
}

const KIB = 1024;

export type ItemMatch = "serial" | "index" | "position";

// How a bulk answer names the records it refused (bulk.item_results); `on` false sends none.
export interface ItemResultsDraft {
  on: boolean;
  path: string;
  match: ItemMatch;
  // The serial's or the index's path, as `match` says.
  key_path: string;
  status_path: string;
  message_path: string;
}

function itemResultsDraft(results: BulkItemResults | undefined): ItemResultsDraft {
  const match: ItemMatch =
    results?.serial_path !== undefined ? "serial" : results?.index_path !== undefined ? "index" : results === undefined ? "serial" : "position";
  return {
    on: results !== undefined,
    path: results?.path ?? "",
    match,
    key_path: results?.serial_path ?? results?.index_path ?? "",
    status_path: results?.status_path ?? "",
    message_path: results?.message_path ?? "",
  };
}

// How a success answer says a write failed (update.answer_check); `on` false sends none.
export interface AnswerCheckDraft {
  on: boolean;
  error_path: string;
  ok_path: string;
  message_path: string;
}

function answerCheckDraft(check: AnswerCheck | undefined): AnswerCheckDraft {
  return { on: check !== undefined, error_path: check?.error_path ?? "", ok_path: check?.ok_path ?? "", message_path: check?.message_path ?? "" };
}

// "none" stands for an empty list (every 4xx fails the job); an empty field for the default statuses.
export const NO_RECORD_REFUSALS = "none";

function recordRefusalsDraft(statuses: readonly number[] | undefined): string {
  if (statuses === undefined) return "";
  return statuses.length === 0 ? NO_RECORD_REFUSALS : statuses.join(", ");
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
  // Minutes as typed; empty means no SLA (freshness from the schedule alone).
  freshness_sla_minutes: string;
  source: {
    kind: SourceKind;
    url: string;
    format: SourceFormat;
    headers: HeaderDraft[];
    pagination: PaginationDraft;
    records_path: string;
    serial_path: string;
    updated_at_path: string;
    since_param: string;
    // A dataset's serial field; empty: the default, serial.
    dataset_serial_path: string;
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
    formatter: UpdateFormat;
    xml_root: string;
    headers: HeaderDraft[];
    success_statuses: string;
    // Empty: the default statuses; "none": every 4xx fails the job.
    record_refusal_statuses: string;
    if_match_from: IfMatch["from"] | "off";
    if_match_path: string;
    bulk: boolean;
    bulk_max_records: string;
    bulk_records_key: string;
    bulk_serial_field: string;
    bulk_item_results: ItemResultsDraft;
    answer_check: AnswerCheckDraft;
    // Off sends no key; an empty name means the API's default header (Idempotency-Key).
    idempotency: boolean;
    idempotency_header: string;
    // Read-back verification; the percentage is text while typed, empty for the default.
    verify_writes: VerifyWrites;
    verify_sample_percent: string;
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
    offset_param: "offset",
    limit_param: "limit",
    first_offset: "0",
    cursor_param: "cursor",
    next_cursor_path: "",
    after_param: "starting_after",
    key_path: "",
    has_more_path: "",
    next_url_path: "",
    chunk_kib: "4096",
  };
  switch (pagination?.style) {
    case "page":
      draft.page_param = pagination.page_param;
      draft.size_param = pagination.size_param ?? "";
      draft.page_size = String(pagination.page_size);
      draft.first_page = String(pagination.first_page);
      break;
    case "offset":
      draft.offset_param = pagination.offset_param;
      draft.limit_param = pagination.limit_param ?? "";
      draft.page_size = String(pagination.page_size);
      draft.first_offset = String(pagination.first_offset);
      break;
    case "cursor":
      draft.cursor_param = pagination.cursor_param;
      draft.next_cursor_path = pagination.next_cursor_path;
      break;
    case "keyset":
      draft.after_param = pagination.after_param;
      draft.key_path = pagination.key_path;
      draft.has_more_path = pagination.has_more_path ?? "";
      break;
    case "link":
      draft.next_url_path = pagination.next_url_path ?? "";
      break;
    case "range":
      draft.chunk_kib = String(pagination.chunk_bytes / KIB);
      break;
    default:
      break;
  }
  return draft;
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
    freshness_sla_minutes: snapshot.freshness_sla_minutes === null ? "" : String(snapshot.freshness_sla_minutes),
    source: {
      kind: source.kind,
      url: source.kind === "http" ? source.url : "",
      format: source.kind === "http" ? source.format : "json",
      headers: headersDraft(source.kind === "http" ? source.headers : undefined),
      pagination: paginationDraft(source.kind === "http" ? source.pagination : undefined),
      records_path: source.kind === "http" ? source.records_path : "",
      serial_path: source.kind === "http" ? source.serial_path : "serial",
      updated_at_path: source.kind === "http" ? (source.updated_at_path ?? "") : "",
      since_param: source.kind === "http" ? (source.since_param ?? "") : "",
      dataset_serial_path: source.kind === "dataset" ? (source.serial_path ?? "") : "",
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
      record_refusal_statuses: recordRefusalsDraft(update.record_refusal_statuses),
      if_match_from: update.if_match?.from ?? "off",
      if_match_path: update.if_match?.path ?? "",
      bulk: update.bulk !== undefined,
      bulk_max_records: String(update.bulk?.max_records ?? 50),
      bulk_records_key: update.bulk?.records_key ?? "records",
      bulk_serial_field: update.bulk?.serial_field ?? "",
      bulk_item_results: itemResultsDraft(update.bulk?.item_results),
      answer_check: answerCheckDraft(update.answer_check),
      idempotency: update.idempotency_header !== null && update.idempotency_header !== false,
      idempotency_header: typeof update.idempotency_header === "string" ? update.idempotency_header : "",
      verify_writes: update.verify_writes ?? "off",
      verify_sample_percent: update.verify_sample_percent === undefined ? "" : String(update.verify_sample_percent),
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
  const { name, enabled, dry_run, debug, schedule, config, freshness_sla_minutes } = connection;
  return draftFromSnapshot({ name, enabled, dry_run, debug, schedule, config, freshness_sla_minutes });
}

// What a new connection starts from: dry run on, a dataset source and one rule to edit.
export function newConnectionDraft(): ConnectionDraft {
  return draftFromSnapshot({
    name: "",
    enabled: true,
    dry_run: true,
    debug: false,
    schedule: null,
    freshness_sla_minutes: null,
    config: {
      source: { kind: "dataset" },
      fetch: { mode: "per_serial", url_template: "https://", format: "json", record_path: "", serial_path: "serial", headers: {} },
      update: { method: "PATCH", url_template: "https://", formatter: "json", headers: {} },
      mapping: [{ source: "status", destination: "status", formatter: "string", action: "update_if_changed", on_null: "skip", required: false }],
      limits: {
        requests_per_second: 10,
        concurrency: 2,
        timeout_ms: 10_000,
        retry_attempts: 3,
        stop_on_failure: false,
        max_response_bytes: 10_485_760,
        max_pages: 100_000,
      },
    },
  });
}
