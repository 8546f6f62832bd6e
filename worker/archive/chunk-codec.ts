import type { PlanEntry } from "../engine/plan-drift";
import type { RecordAction } from "../engine/reconcile";
import type { LogLevel } from "../schemas/vocabulary";

// One chunk is gzip-compressed NDJSON: a header line, then one short-keyed line per entry. Outcome chunks
// are sorted by serial and log chunks by seq. Keys are one letter and the time is left out when it equals
// the header's, so an unchanged record costs a few bytes once compressed.
//
//   {"v":1,"t":1764979200000}
//   {"s":"SN-000123","a":"skipped_no_change"}
//   {"s":"SN-000124","a":"failed","h":400,"e":"…","t":1764979200123}
//   {"s":"SN-000125","a":"verify_mismatch","c":"[…]","d":"[{\"field\":…,\"side\":\"stored\"}]","h":200}

export const CHUNK_FORMAT_VERSION = 1;

/** One serial's outcome in one job, as the ledger stored it (changes and differences are the JSON text of
 * FieldChange[] and FieldDifference[]). */
export interface ArchivedOutcome {
  serial: string;
  action: RecordAction;
  changes: string | null;
  differences: string | null;
  http_status: number | null;
  payload_excerpt: string | null;
  error: string | null;
  at: number;
}

export interface ArchivedLog {
  seq: number;
  at: number;
  level: LogLevel;
  message: string;
  serial: string | null;
}

export interface ChunkHeader {
  v: number;
  t: number;
}

interface OutcomeLine {
  s: string;
  a: RecordAction;
  c?: string;
  d?: string;
  h?: number;
  p?: string;
  e?: string;
  t?: number;
}

interface LogLine {
  q: number;
  l: LogLevel;
  m: string;
  s?: string;
  t?: number;
}

export function compareSerials(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function encodeOutcomes(outcomes: readonly ArchivedOutcome[]): Promise<Uint8Array> {
  const sorted = [...outcomes].sort((a, b) => compareSerials(a.serial, b.serial));
  const base = sorted[0]?.at ?? 0;
  const lines = sorted.map((o) => {
    const line: OutcomeLine = { s: o.serial, a: o.action };
    if (o.changes !== null) line.c = o.changes;
    if (o.differences !== null) line.d = o.differences;
    if (o.http_status !== null) line.h = o.http_status;
    if (o.payload_excerpt !== null) line.p = o.payload_excerpt;
    if (o.error !== null) line.e = o.error;
    if (o.at !== base) line.t = o.at;
    return JSON.stringify(line);
  });
  return gzip(toNdjson({ v: CHUNK_FORMAT_VERSION, t: base }, lines));
}

export async function decodeOutcomes(bytes: Uint8Array | ArrayBuffer): Promise<ArchivedOutcome[]> {
  const { header, lines } = await fromNdjson(bytes);
  return lines.map((text) => {
    const line = JSON.parse(text) as OutcomeLine;
    return {
      serial: line.s,
      action: line.a,
      changes: line.c ?? null,
      differences: line.d ?? null,
      http_status: line.h ?? null,
      payload_excerpt: line.p ?? null,
      error: line.e ?? null,
      at: line.t ?? header.t,
    };
  });
}

export async function encodeLogs(logs: readonly ArchivedLog[]): Promise<Uint8Array> {
  const sorted = [...logs].sort((a, b) => a.seq - b.seq);
  const base = sorted[0]?.at ?? 0;
  const lines = sorted.map((log) => {
    const line: LogLine = { q: log.seq, l: log.level, m: log.message };
    if (log.serial !== null) line.s = log.serial;
    if (log.at !== base) line.t = log.at;
    return JSON.stringify(line);
  });
  return gzip(toNdjson({ v: CHUNK_FORMAT_VERSION, t: base }, lines));
}

export async function decodeLogs(bytes: Uint8Array | ArrayBuffer): Promise<ArchivedLog[]> {
  const { header, lines } = await fromNdjson(bytes);
  return lines.map((text) => {
    const line = JSON.parse(text) as LogLine;
    return { seq: line.q, at: line.t ?? header.t, level: line.l, message: line.m, serial: line.s ?? null };
  });
}

// A planned write as its plan chunk line: the entry's JSON text as the outbox holds it (no parse and render
// again per entry on the way to the archive), and its serial to sort by.
export interface PlanLine {
  serial: string;
  text: string;
}

export function planLine(entry: PlanEntry): PlanLine {
  return { serial: entry.serial, text: JSON.stringify(entry) };
}

// A plan chunk: the header, then one plan entry per line as it is, sorted by serial.
export async function encodePlan(lines: readonly PlanLine[]): Promise<Uint8Array> {
  const sorted = [...lines].sort((a, b) => compareSerials(a.serial, b.serial));
  return gzip(
    toNdjson(
      { v: CHUNK_FORMAT_VERSION, t: 0 },
      sorted.map((line) => line.text),
    ),
  );
}

export async function decodePlan(bytes: Uint8Array | ArrayBuffer): Promise<PlanEntry[]> {
  const { lines } = await fromNdjson(bytes);
  return lines.map((text) => JSON.parse(text) as PlanEntry);
}

export function toNdjson(header: ChunkHeader, lines: string[]): string {
  return `${JSON.stringify(header)}\n${lines.map((line) => `${line}\n`).join("")}`;
}

export async function fromNdjson(bytes: Uint8Array | ArrayBuffer): Promise<{ header: ChunkHeader; lines: string[] }> {
  const [first = "", ...rest] = (await gunzip(bytes)).split("\n");
  const header = JSON.parse(first) as ChunkHeader;
  if (header.v !== CHUNK_FORMAT_VERSION) throw new Error(`archive chunk format ${String(header.v)} is not ${CHUNK_FORMAT_VERSION}`);
  return { header, lines: rest.filter((line) => line.length > 0) };
}

export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gunzip(bytes: Uint8Array | ArrayBuffer): Promise<string> {
  const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}
