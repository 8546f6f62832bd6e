import type { RecordOutcome } from "../schemas/runs";

export const RECORD_CSV_HEADER = ["serial", "action", "field", "before", "after", "written", "http_status", "error", "recorded_at"];

// One row per changed field, so before → after reads across a spreadsheet; a record without changes
// still gets one row so every outcome appears.
export function recordCsvRows(record: RecordOutcome): string[][] {
  const common = (field: string, before: unknown, after: unknown, written: boolean | undefined) => [
    record.serial,
    record.action,
    field,
    cellText(before),
    cellText(after),
    written === undefined ? "" : String(written),
    record.http_status === null ? "" : String(record.http_status),
    record.error ?? "",
    record.recorded_at,
  ];
  if (record.changes.length === 0) return [common("", null, null, undefined)];
  return record.changes.map((change) => common(change.field, change.before, change.after, change.written));
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
