import type { DemoSourceDevice } from "./demo-data";

// The demo source as an export serves it: NDJSON, or CSV under a header row (an absent or null field is an
// empty cell, a number its decimal text), for HTTP sources whose format is "ndjson" or "csv".

export type SourceExportFormat = "ndjson" | "csv";

export const SOURCE_EXPORT_MEDIA_TYPES: Record<SourceExportFormat, string> = {
  ndjson: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

const CSV_COLUMNS = ["serial", "name", "status", "firmware_version", "site", "battery_pct", "last_seen_at", "owner_email"] as const satisfies ReadonlyArray<
  keyof DemoSourceDevice
>;

export function sourceExportBody(records: readonly DemoSourceDevice[], format: SourceExportFormat): string {
  if (format === "ndjson") return records.map((record) => `${JSON.stringify(record)}\n`).join("");
  const rows = records.map((record) => CSV_COLUMNS.map((column) => csvField(record[column])).join(","));
  return [CSV_COLUMNS.join(","), ...rows].map((row) => `${row}\r\n`).join("");
}

function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) || text === "" ? `"${text.replaceAll('"', '""')}"` : text;
}
