import { parseCsv } from "./csv";
import { cutExcerpt, EngineError, type RequestPhase } from "./errors";
import { errorMessage } from "../../shared/lang";

// NDJSON and CSV bodies, as exports and data APIs serve them: the body is the record list itself.
// A line that cannot be a record stays in the list as an UnreadableLine, so it is skipped with its reason as a
// JSON record without a serial is, and still counts as served (an offset read moves past it). A body that cannot
// be read at all (an unclosed quote, a header without the serial's column) fails the page.

export class UnreadableLine {
  constructor(
    readonly reason: string,
    readonly excerpt: string,
  ) {}
}

export type ExportItem = Record<string, unknown> | UnreadableLine;

// `firstLine`: the line number the text starts on, when it is a range of a larger export.
export function readNdjsonBody(text: string, firstLine = 1): ExportItem[] {
  const items: ExportItem[] = [];
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  body.split("\n").forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      items.push(new UnreadableLine(`line ${i + firstLine} is not JSON (${errorMessage(error)})`, cutExcerpt(line)));
      return;
    }
    if (value !== null && typeof value === "object" && !Array.isArray(value)) items.push(value as Record<string, unknown>);
    else
      items.push(
        new UnreadableLine(
          `line ${i + firstLine} is a ${Array.isArray(value) ? "list" : value === null ? "null" : typeof value}, not an object`,
          cutExcerpt(line),
        ),
      );
  });
  return items;
}

/**
 * A header row names the fields; each row after it is a record of strings (null for an empty unquoted field).
 * `serialColumn` is the column the serial path starts at: a header without it describes some other data.
 */
export function readCsvBody(text: string, serialColumn: string, at: { url: string; phase: RequestPhase }): ExportItem[] {
  return readCsvRows(text, null, serialColumn, { ...at, firstLine: 1 }).items;
}

/**
 * A CSV text whose first row is its header (`header` null), or a later range of an export whose header was read
 * before: every row is then a record of those names. Answers the header for the ranges after it.
 */
export function readCsvRows(
  text: string,
  header: readonly string[] | null,
  serialColumn: string,
  at: { url: string; phase: RequestPhase; firstLine: number },
): { header: string[] | null; items: ExportItem[] } {
  const where = new URL(at.url).pathname;
  const lineOf = (line: number) => line + at.firstLine - 1;
  const parsed = parseCsv(text);
  if (!parsed.ok) {
    throw new EngineError({
      code: "unparseable_response",
      message: `${where} returned a body that is not CSV (line ${lineOf(parsed.line)}: ${parsed.error})`,
      phase: at.phase,
    });
  }
  const rows = header === null ? parsed.rows.slice(1) : parsed.rows;
  const first = parsed.rows[0];
  // An empty body is a page without records: the end of an offset or keyset read.
  if (header === null && first === undefined) return { header: null, items: [] };
  const names = header === null ? first!.fields.map((name) => (name ?? "").trim()) : [...header];
  if (header === null) {
    const problem = headerProblem(names, serialColumn);
    if (problem !== null) throw new EngineError({ code: "invalid_response_shape", message: `${where}: the CSV header ${problem}`, phase: at.phase });
  }

  const items: ExportItem[] = [];
  for (const row of rows) {
    if (row.fields.length !== names.length) {
      items.push(
        new UnreadableLine(`line ${lineOf(row.line)} has ${row.fields.length} fields where the header names ${names.length}`, cutExcerpt(row.fields.join(","))),
      );
      continue;
    }
    const record: Record<string, unknown> = {};
    names.forEach((name, column) => {
      record[name] = row.fields[column] ?? null;
    });
    items.push(record);
  }
  return { header: names, items };
}

function headerProblem(names: string[], serialColumn: string): string | null {
  const empty = names.findIndex((name) => name === "");
  if (empty !== -1) return `leaves column ${empty + 1} without a name`;
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) return `names "${twice}" twice`;
  if (!names.includes(serialColumn))
    return `has no "${serialColumn}" column for the serial (it has ${names
      .slice(0, 10)
      .map((n) => `"${n}"`)
      .join(", ")}${names.length > 10 ? ", …" : ""})`;
  return null;
}
