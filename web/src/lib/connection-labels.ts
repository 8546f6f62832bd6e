import type { FieldAction, Formatter, IfMatch, OnNull, PayloadFormat, SourceFormat, UpdateFormat, VerifyWrites } from "../../../worker/engine/contracts";
import type { FetchMode, ItemMatch, PaginationStyle, SourceKind, UpdateMethod } from "./connection-draft";

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
  template: 'template ("{a} {b}")',
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
export const UPDATE_FORMAT_LABELS: Record<UpdateFormat, string> = { ...FORMAT_LABELS, form: "Form (x-www-form-urlencoded)" };
export const SOURCE_FORMAT_LABELS: Record<SourceFormat, string> = {
  ...FORMAT_LABELS,
  ndjson: "NDJSON (JSON lines)",
  csv: "CSV (with a header row)",
};
export const VERIFY_WRITES_LABELS: Record<VerifyWrites, string> = {
  off: "Off",
  sample: "A sample of the writes",
  all: "Every write",
};
export const IF_MATCH_LABELS: Record<IfMatch["from"] | "off", string> = {
  off: "Off",
  etag_header: "The lookup's ETag header",
  record: "A field of the looked-up record",
};
export const SOURCE_KIND_LABELS: Record<SourceKind, string> = {
  http: "HTTP (GET a URL)",
  dataset: "Dataset (records pushed through the API)",
};
export const FETCH_MODE_LABELS: Record<FetchMode, string> = {
  per_serial: "Per serial (GET a URL template with {serial})",
  list: "List (GET a paged listing once per run)",
};
export const ITEM_MATCH_LABELS: Record<ItemMatch, string> = {
  serial: "The serial it names",
  index: "The request position it names",
  position: "Its own position in the list",
};

export const PAGINATION_LABELS: Record<PaginationStyle, string> = {
  none: "None",
  page: "Page number",
  offset: "Offset and limit",
  cursor: "Cursor",
  keyset: "After the last record's key",
  link: "Next link",
  range: "Byte ranges (one file)",
};

export function optionsOf<K extends string>(labels: Record<K, string>): Array<{ value: K; label: string }> {
  return (Object.keys(labels) as K[]).map((value) => ({ value, label: labels[value] }));
}
