import { compilePath, readPath } from "../engine/paths";
import { parseCsv } from "../engine/csv";
import { csvColumnOf } from "../engine/contracts";
import { scalarText } from "../engine/templates";
import { ApiError, validationError } from "./errors";
import { DATASET_UPLOAD_LIMITS, type DatasetUploadIssue } from "../schemas/dataset-records";
import type { DatasetRow } from "../ledger/dataset-records";
import { errorMessage } from "../../shared/lang";

export const UPLOAD_FORMATS = ["json", "ndjson", "csv"] as const;
export type UploadFormat = (typeof UPLOAD_FORMATS)[number];

const MEDIA_TYPES: Record<string, UploadFormat> = {
  "application/json": "json",
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "text/csv": "csv",
};
export const UPLOAD_MEDIA_TYPES = Object.keys(MEDIA_TYPES);

// Enough to fix a file in one go without flooding the response.
const MAX_REPORTED_ISSUES = 20;

export function uploadFormat(contentType: string | undefined): UploadFormat {
  const media = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  const format = MEDIA_TYPES[media];
  if (format === undefined) {
    throw new ApiError(
      415,
      "unsupported_media_type",
      `Send the records as application/json (an array), application/x-ndjson or text/csv${media ? `, not ${media}` : ""}.`,
      {
        details: [{ path: "Content-Type", message: media ? `${media} is not accepted` : "missing", in: "header" }],
        meta: { accepted: UPLOAD_MEDIA_TYPES },
      },
    );
  }
  return format;
}

/** Reads the body as UTF-8 text, refusing with 413 as soon as it passes the byte limit. */
export async function readUploadText(request: Request, maxBytes: number = DATASET_UPLOAD_LIMITS.max_bytes): Promise<string> {
  const tooLarge = () =>
    new ApiError(413, "payload_too_large", `The upload is larger than ${maxBytes / (1024 * 1024)} MB; split it into several merge uploads.`, {
      meta: { max_bytes: maxBytes },
    });
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) throw validationError([{ path: "(body)", message: "the body is empty", in: "body" }]);

  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw validationError([{ path: "(body)", message: "the body is not valid UTF-8", in: "body" }]);
  }
}

/** A record with where it came from, so every problem can name its line or index. */
interface SourcedRecord {
  record: Record<string, unknown>;
  where: { line: number } | { index: number };
}

interface Parsed {
  records: SourcedRecord[];
  issues: DatasetUploadIssue[];
}

export interface UploadOptions {
  serialPath: string;
  maxRecords?: number;
}

/** Parses and checks a whole upload; any problem refuses all of it, naming each line (or index) and field. */
export function parseUpload(text: string, format: UploadFormat, options: UploadOptions): DatasetRow[] {
  if (text.trim() === "") throw validationError([{ path: "(body)", message: "the body is empty", in: "body" }]);
  const maxRecords = options.maxRecords ?? DATASET_UPLOAD_LIMITS.max_records;
  const parsed = format === "json" ? parseJsonArray(text) : format === "ndjson" ? parseNdjson(text) : parseCsvRecords(text, options.serialPath);
  if (parsed.records.length > maxRecords) {
    throw new ApiError(413, "too_many_records", `The upload has ${parsed.records.length} records; the limit is ${maxRecords} per request.`, {
      meta: { max_records: maxRecords },
    });
  }
  const rows: DatasetRow[] = [];
  const issues = [...parsed.issues];
  const serialPath = compilePath(options.serialPath);
  const firstSeen = new Map<string, string>();
  for (const { record, where } of parsed.records) {
    const serial = scalarText(readPath(record, serialPath))?.trim();
    if (serial === undefined || serial === "") {
      issues.push(issueAt(where, options.serialPath, `no serial: "${options.serialPath}" is missing or empty`));
      continue;
    }
    if (serial.length > DATASET_UPLOAD_LIMITS.max_serial_length) {
      issues.push(issueAt(where, options.serialPath, `the serial is longer than ${DATASET_UPLOAD_LIMITS.max_serial_length} characters`));
      continue;
    }
    const label = describeWhere(where);
    const earlier = firstSeen.get(serial);
    if (earlier !== undefined) {
      issues.push(issueAt(where, options.serialPath, `serial "${serial}" is already on ${earlier}`));
      continue;
    }
    firstSeen.set(serial, label);
    rows.push({ serial, json: JSON.stringify(record) });
  }
  if (issues.length > 0) throw uploadError(issues);
  return rows;
}

function uploadError(issues: DatasetUploadIssue[]): ApiError {
  const shown = issues.slice(0, MAX_REPORTED_ISSUES);
  const first = shown[0]!;
  const more = issues.length > 1 ? ` (${issues.length} problems in all${issues.length > shown.length ? `, first ${shown.length} listed` : ""})` : "";
  return new ApiError(400, "validation_failed", `Nothing was stored: ${first.path}: ${first.message}${more}.`, { details: shown });
}

function issueAt(where: SourcedRecord["where"], field: string | undefined, message: string): DatasetUploadIssue {
  const label = describeWhere(where);
  return {
    path: field === undefined ? label : `${label}.${field}`,
    ...where,
    ...(field === undefined ? {} : { field }),
    message,
  };
}

function describeWhere(where: SourcedRecord["where"]): string {
  return "line" in where ? `line ${where.line}` : `[${where.index}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

function parseJsonArray(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = errorMessage(error);
    return { records: [], issues: [{ path: "(body)", message: `not valid JSON: ${reason}` }] };
  }
  if (!Array.isArray(value)) {
    return { records: [], issues: [{ path: "(body)", message: `expected a JSON array of records, got ${kind(value)}` }] };
  }
  const records: SourcedRecord[] = [];
  const issues: DatasetUploadIssue[] = [];
  value.forEach((item: unknown, index) => {
    if (isPlainObject(item)) records.push({ record: item, where: { index } });
    else issues.push(issueAt({ index }, undefined, `a record must be a JSON object, not ${kind(item)}`));
  });
  return { records, issues };
}

function parseNdjson(text: string): Parsed {
  const records: SourcedRecord[] = [];
  const issues: DatasetUploadIssue[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    const where = { line: i + 1 };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      issues.push(issueAt(where, undefined, `not valid JSON: ${errorMessage(error)}`));
      return;
    }
    if (isPlainObject(value)) records.push({ record: value, where });
    else issues.push(issueAt(where, undefined, `a record must be a JSON object, not ${kind(value)}`));
  });
  return { records, issues };
}

function parseCsvRecords(text: string, serialPath: string): Parsed {
  const serialColumn = csvColumnOf(serialPath);
  // A CSV row is flat: a nested serial path names no column.
  if (serialColumn === null)
    return { records: [], issues: [{ path: "(body)", message: `the dataset's serial is at "${serialPath}", which is no CSV column: upload JSON or NDJSON` }] };
  const parsed = parseCsv(text);
  if (!parsed.ok) return { records: [], issues: [{ path: `line ${parsed.line}`, line: parsed.line, message: parsed.error }] };
  const [header, ...rows] = parsed.rows;
  if (header === undefined) return { records: [], issues: [{ path: "(body)", message: "the CSV has no header row" }] };

  const issues: DatasetUploadIssue[] = [];
  const names = header.fields.map((field) => field ?? "");
  const seen = new Set<string>();
  names.forEach((name, column) => {
    if (name.trim() === "") issues.push({ path: `line ${header.line}`, line: header.line, message: `header column ${column + 1} has no name` });
    else if (seen.has(name)) issues.push({ path: `line ${header.line}`, line: header.line, field: name, message: `header "${name}" appears twice` });
    seen.add(name);
  });
  // Even a header-only file must name the serial column: anything else is not a dataset of this connection.
  if (!seen.has(serialColumn)) {
    issues.push({ path: `line ${header.line}.${serialColumn}`, line: header.line, field: serialColumn, message: `the header has no "${serialColumn}" column` });
  }
  if (issues.length > 0) return { records: [], issues };

  const records: SourcedRecord[] = [];
  for (const row of rows) {
    const where = { line: row.line };
    if (row.fields.length !== names.length) {
      issues.push(issueAt(where, undefined, `expected ${names.length} fields like the header, found ${row.fields.length}`));
      continue;
    }
    const record: Record<string, unknown> = {};
    names.forEach((name, column) => {
      record[name] = row.fields[column] ?? null;
    });
    records.push({ record, where });
  }
  return { records, issues };
}
