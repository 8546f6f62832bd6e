import { EngineError, type RequestPhase } from "./errors";
import { readCsvRows, readNdjsonBody, type ExportItem } from "./export-bodies";
import { utf8Length } from "./utf8";

// One large NDJSON or CSV export read in byte ranges (pagination style "range"), as S3, R2 and GCS serve objects:
// each request asks for the next chunk_bytes bytes, the records that end inside them are read, and the next range
// starts where the last whole record ended, so a record cut by a range is read whole by the next one.

export interface RangePosition {
  style: "range";
  offset: number;
  // A CSV export's header row, read from the first range; null before it (and for NDJSON).
  header: string[] | null;
  // The line the range starts on, so a skipped line is named as in the file.
  line: number;
}

export function firstRange(): RangePosition {
  return { style: "range", offset: 0, header: null, line: 1 };
}

export function rangeHeader(position: RangePosition, chunkBytes: number): string {
  return `bytes=${position.offset}-${position.offset + chunkBytes - 1}`;
}

// 416 ends a read whose last range ended exactly at the end of the file (its size unknown until then).
export function acceptsRangeAnswer(status: number): boolean {
  return (status >= 200 && status <= 299) || status === 416;
}

interface ContentRange {
  start: number;
  end: number;
  total: number | null;
}

// "bytes 0-99/1234", or "bytes 0-99/*" when the size is not known.
export function contentRange(header: string | null): ContentRange | null {
  const match = /^\s*bytes\s+(\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)\s*$/i.exec(header ?? "");
  if (match === null) return null;
  const [start, end] = [Number(match[1]), Number(match[2])];
  if (end < start) return null;
  return { start, end, total: match[3] === "*" ? null : Number(match[3]) };
}

export interface RangeAnswer {
  status: number;
  headers: Headers;
  text: string;
  bytesReceived: number;
}

export interface RangeSpec {
  format: "ndjson" | "csv";
  chunkBytes: number;
  serialColumn: string;
  url: string;
  phase: RequestPhase;
}

export interface RangeChunk {
  items: ExportItem[];
  // null once the file has been read to its end.
  next: RangePosition | null;
}

export function readRangeChunk(answer: RangeAnswer, position: RangePosition, spec: RangeSpec): RangeChunk {
  const where = new URL(spec.url).pathname;
  const fail = (message: string) => new EngineError({ code: "invalid_response_shape", message: `${where}: ${message}`, phase: spec.phase });
  if (answer.status === 416) return { items: [], next: null };
  let last: boolean;
  if (answer.status === 206) {
    // A range of a compressed file counts bytes of the compressed stream, which cannot be decoded from its middle.
    const encoding = answer.headers.get("content-encoding")?.trim().toLowerCase() ?? "identity";
    if (encoding !== "identity" && encoding !== "") {
      throw fail(`served the range ${encoding}-encoded: a compressed file cannot be read from the middle, so store the export uncompressed`);
    }
    const header = answer.headers.get("content-range");
    const range = contentRange(header);
    if (range === null || range.start !== position.offset) {
      throw fail(`answered ${header === null ? "without a Content-Range" : `bytes "${header}"`} to a request for the bytes from ${position.offset}`);
    }
    last = range.total !== null ? range.end + 1 >= range.total : answer.bytesReceived < spec.chunkBytes;
  } else if (position.offset === 0) {
    // The server sent the whole file: it is read like any export.
    last = true;
  } else {
    throw fail(
      `answered HTTP ${answer.status} with the whole file to a request for the bytes from ${position.offset}: the server does not serve byte ranges, so read it without range paging`,
    );
  }
  const end = last ? answer.text.length : lastRecordEnd(answer.text, spec.format);
  if (end <= 0 && !last) {
    throw new EngineError({
      code: "response_too_large",
      message: `${where}: the record at byte ${position.offset} is longer than the ${spec.chunkBytes} bytes of a range`,
      hint: "Raise the range size (chunk_bytes) in the source's pagination so every record fits in one",
      phase: spec.phase,
    });
  }
  const body = answer.text.slice(0, end);
  // A byte that is not UTF-8 decodes as U+FFFD, three bytes long: the next range would start inside a record.
  if (!last && body.includes("\uFFFD")) {
    throw fail(
      `the export holds bytes that are not UTF-8 before byte ${position.offset + spec.chunkBytes}, so its ranges cannot be counted: serve it as UTF-8`,
    );
  }
  const read =
    spec.format === "ndjson"
      ? { header: null, items: readNdjsonBody(body, position.line) }
      : readCsvRows(body, position.header, spec.serialColumn, { url: spec.url, phase: spec.phase, firstLine: position.line });
  if (last) return { items: read.items, next: null };
  return { items: read.items, next: { style: "range", offset: position.offset + utf8Length(body), header: read.header, line: position.line + newlines(body) } };
}

// Where the last whole record of a range ends (after its line break), or 0 when none does. A CSV line break inside a
// quoted field is part of its record: quotes toggle, and "" (an escaped quote) toggles twice.
function lastRecordEnd(text: string, format: RangeSpec["format"]): number {
  if (format === "ndjson") return text.lastIndexOf("\n") + 1;
  let quoted = false;
  let end = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 34) quoted = !quoted;
    else if (code === 10 && !quoted) end = i + 1;
  }
  return end;
}

function newlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count += 1;
  return count;
}
