import type {
  AnswerCheck,
  BulkItemResults,
  FetchContract,
  FieldRule,
  IfMatch,
  Limits,
  Pagination,
  SourceContract,
  UpdateContract,
} from "../../../worker/engine/contracts";
import type { ConnectionConfig, ConnectionSnapshot } from "../../../worker/schemas/types";
import type { AnswerCheckDraft, ConnectionDraft, HeaderDraft, ItemResultsDraft, PaginationDraft, RuleDraft } from "./connection-draft";
import { NO_RECORD_REFUSALS } from "./connection-draft";
import { parseLiteral, parseMapTable } from "./literal-text";

// What the API receives for a draft: text becomes the contract's values, and the API, not the form, judges them.

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
    case "offset": {
      const limitParam = optional(draft.limit_param);
      return {
        style: "offset",
        offset_param: draft.offset_param.trim(),
        ...(limitParam === undefined ? {} : { limit_param: limitParam }),
        page_size: numberOf(draft.page_size),
        first_offset: numberOf(draft.first_offset),
      };
    }
    case "cursor":
      return { style: "cursor", cursor_param: draft.cursor_param.trim(), next_cursor_path: draft.next_cursor_path.trim() };
    case "keyset": {
      const hasMore = optional(draft.has_more_path);
      return {
        style: "keyset",
        after_param: draft.after_param.trim(),
        key_path: draft.key_path.trim(),
        ...(hasMore === undefined ? {} : { has_more_path: hasMore }),
      };
    }
    case "link": {
      const nextUrl = optional(draft.next_url_path);
      return nextUrl === undefined ? { style: "link" } : { style: "link", next_url_path: nextUrl };
    }
    case "range":
      return { style: "range", chunk_bytes: Math.round(numberOf(draft.chunk_kib) * 1024) };
  }
}

function sourceOf(draft: ConnectionDraft["source"]): SourceContract {
  if (draft.kind === "dataset") {
    const serial = optional(draft.dataset_serial_path);
    return serial === undefined ? { kind: "dataset" } : { kind: "dataset", serial_path: serial };
  }
  const updatedAt = optional(draft.updated_at_path);
  const since = optional(draft.since_param);
  return {
    kind: "http",
    url: draft.url.trim(),
    headers: headersOf(draft.headers),
    pagination: paginationOf(draft.pagination),
    format: draft.format,
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

function itemResultsOf(draft: ItemResultsDraft): BulkItemResults {
  const key = draft.key_path.trim();
  const status = optional(draft.status_path);
  const message = optional(draft.message_path);
  return {
    path: draft.path.trim(),
    ...(draft.match === "serial" ? { serial_path: key } : draft.match === "index" ? { index_path: key } : {}),
    ...(status === undefined ? {} : { status_path: status }),
    ...(message === undefined ? {} : { message_path: message }),
  };
}

function answerCheckOf(draft: AnswerCheckDraft): AnswerCheck {
  const error = optional(draft.error_path);
  const ok = optional(draft.ok_path);
  const message = optional(draft.message_path);
  return {
    ...(error === undefined ? {} : { error_path: error }),
    ...(ok === undefined ? {} : { ok_path: ok }),
    ...(message === undefined ? {} : { message_path: message }),
  };
}

function ifMatchOf(draft: ConnectionDraft["update"]): IfMatch {
  return draft.if_match_from === "record" ? { from: "record", path: draft.if_match_path.trim() } : { from: "etag_header" };
}

function updateOf(draft: ConnectionDraft["update"]): UpdateContract {
  const xmlRoot = optional(draft.xml_root);
  const statuses = statusesOf(draft.success_statuses);
  const refusals = draft.record_refusal_statuses.trim().toLowerCase() === NO_RECORD_REFUSALS ? [] : statusesOf(draft.record_refusal_statuses);
  const serialField = optional(draft.bulk_serial_field);
  const idempotency = draft.idempotency ? optional(draft.idempotency_header) : null;
  // "off" is what an absent setting means, so a connection that never set it is sent back as it was.
  const samplePercent = draft.verify_writes === "sample" ? optional(draft.verify_sample_percent) : undefined;
  return {
    method: draft.method,
    url_template: draft.url_template.trim(),
    formatter: draft.formatter,
    ...(xmlRoot === undefined ? {} : { xml_root: xmlRoot }),
    headers: headersOf(draft.headers),
    ...(statuses === undefined ? {} : { success_statuses: statuses }),
    ...(refusals === undefined ? {} : { record_refusal_statuses: refusals }),
    ...(draft.if_match_from === "off" ? {} : { if_match: ifMatchOf(draft) }),
    ...(draft.answer_check.on ? { answer_check: answerCheckOf(draft.answer_check) } : {}),
    ...(idempotency === undefined ? {} : { idempotency_header: idempotency }),
    ...(draft.verify_writes === "off" ? {} : { verify_writes: draft.verify_writes }),
    ...(samplePercent === undefined ? {} : { verify_sample_percent: numberOf(samplePercent) }),
    ...(draft.bulk
      ? {
          bulk: {
            max_records: numberOf(draft.bulk_max_records),
            records_key: draft.bulk_records_key.trim(),
            ...(serialField === undefined ? {} : { serial_field: serialField }),
            ...(draft.bulk_item_results.on ? { item_results: itemResultsOf(draft.bulk_item_results) } : {}),
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

// Text that is no number goes as 0, which the API refuses naming the field, rather than as "no SLA" (NaN is null in JSON).
function slaOf(text: string): number | null {
  if (optional(text) === undefined) return null;
  const minutes = numberOf(text);
  return Number.isFinite(minutes) ? minutes : 0;
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
    freshness_sla_minutes: slaOf(draft.freshness_sla_minutes),
  };
}
