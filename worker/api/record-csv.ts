import type { FieldChange, FieldDifference, RecordOutcome } from "../schemas/runs";

// expected/found/difference: a field a read-back or an apply found not holding what it should (verify_mismatch,
// drifted), with which side differed; appended after the original columns so existing readers keep their places.
export const RECORD_CSV_HEADER = [
  "serial",
  "action",
  "field",
  "before",
  "after",
  "written",
  "http_status",
  "error",
  "recorded_at",
  "expected",
  "found",
  "difference",
];

// One row per changed or differing field, so before → after and expected → found read across a spreadsheet; a
// record with neither still gets one row so every outcome appears.
export function recordCsvRows(record: RecordOutcome): string[][] {
  const row = (field: string, change: FieldChange | undefined, difference: FieldDifference | undefined) => [
    record.serial,
    record.action,
    field,
    cellText(change?.before),
    cellText(change?.after),
    change?.written === undefined ? "" : String(change.written),
    record.http_status === null ? "" : String(record.http_status),
    record.error ?? "",
    record.recorded_at,
    cellText(difference?.expected),
    cellText(difference?.found),
    difference?.side ?? "",
  ];
  const differences = new Map((record.differences ?? []).map((difference) => [difference.field, difference]));
  const rows = record.changes.map((change) => row(change.field, change, differences.get(change.field)));
  const changed = new Set(record.changes.map((change) => change.field));
  for (const [field, difference] of differences) if (!changed.has(field)) rows.push(row(field, undefined, difference));
  return rows.length > 0 ? rows : [row("", undefined, undefined)];
}

export function csvLine(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

// RFC 4180 quoting, and a leading apostrophe on text a spreadsheet would run as a formula
// (numbers such as -12 stay as they are).
function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
