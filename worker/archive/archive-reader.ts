import type { FieldChange, FieldDifference, LogLine, RecordOutcome } from "../schemas/runs";
import type { LogListFilters, Paged, RecordListFilters } from "../ledger/run-reads";
import { parseIndex, type ArchiveIndex, type LogChunkEntry, type OutcomeChunkEntry } from "./archive-index";
import { indexKey } from "./archive-keys";
import { sharedChunkCache, type ChunkCache } from "./chunk-cache";
import { compareSerials, decodeLogs, decodeOutcomes, type ArchivedLog, type ArchivedOutcome } from "./chunk-codec";
import { mergeChunks, spansToRead } from "./chunk-merge";
import { logSearchMatcher } from "./log-search";

// Answers a job's records and logs from its R2 archive (index.json, then only the chunks a read needs), in
// the shapes and order the D1 path answers them: records by serial, logs by seq, the same filters and
// cursors. The index is read on every call (a running job's grows with each flush); decoded chunks are
// cached (a chunk's key never holds other content once its size is in the index).

export interface ArchiveSource {
  bucket: Pick<R2Bucket, "get">;
  cache?: ChunkCache;
}

export interface ArchivedJob {
  jobId: string;
  runId: string;
  day: string;
}

export type RecordStreamFilters = Omit<RecordListFilters, "limit">;
export type LogStreamFilters = Omit<LogListFilters, "limit">;

export async function readArchiveIndex(source: ArchiveSource, job: ArchivedJob): Promise<ArchiveIndex | null> {
  const object = await source.bucket.get(indexKey(job.day, job.jobId));
  return object ? parseIndex(await object.text()) : null;
}

export async function listArchivedRecords(source: ArchiveSource, job: ArchivedJob, filters: RecordListFilters): Promise<Paged<RecordOutcome>> {
  return firstPage(archivedRecords(source, job, filters), filters.limit, (record) => record.serial);
}

/** Every matching record after the cursor, by serial; chunks are loaded as the reader gets to them. */
export async function* archivedRecords(source: ArchiveSource, job: ArchivedJob, filters: RecordStreamFilters): AsyncGenerator<RecordOutcome> {
  const index = await readArchiveIndex(source, job);
  if (!index) return;
  const { action, serialPrefix: prefix, cursor } = filters;
  const spans = spansToRead<string, OutcomeChunkEntry>(
    index.outcomes,
    compareSerials,
    (span) => (cursor === undefined || span.last > cursor) && (prefix === undefined || holdsPrefixRange(span, prefix)),
    (span) => action === undefined || (span.actions[action] ?? 0) > 0,
  );
  const merged = mergeChunks<ArchivedOutcome, string, OutcomeChunkEntry>({
    spans,
    load: (span) => loadChunk(source, span, decodeOutcomes),
    keyOf: (outcome) => outcome.serial,
    compare: compareSerials,
    reached: (serial) => (cursor === undefined || serial > cursor) && (prefix === undefined || serial >= prefix),
    past: (serial) => prefix !== undefined && serial > prefix && !serial.startsWith(prefix),
  });
  for await (const outcome of merged) {
    if (action !== undefined && outcome.action !== action) continue;
    if (prefix !== undefined && !outcome.serial.startsWith(prefix)) continue;
    yield toRecordOutcome(job, outcome);
  }
}

/** One serial's outcome in the job, or null when the job holds none for it. */
export async function readArchivedOutcome(source: ArchiveSource, job: ArchivedJob, serial: string): Promise<RecordOutcome | null> {
  // The serial itself is the first of the serials it prefixes, so the first match answers.
  const first = await archivedRecords(source, job, { serialPrefix: serial }).next();
  return !first.done && first.value.serial === serial ? first.value : null;
}

export async function listArchivedLogs(source: ArchiveSource, job: ArchivedJob, filters: LogListFilters): Promise<Paged<LogLine>> {
  return firstPage(archivedLogs(source, job, filters), filters.limit, (line) => String(line.seq));
}

/** Every matching line after afterSeq, by seq. */
export async function* archivedLogs(source: ArchiveSource, job: ArchivedJob, filters: LogStreamFilters): AsyncGenerator<LogLine> {
  const index = await readArchiveIndex(source, job);
  if (!index) return;
  const after = filters.afterSeq;
  const levels = filters.levels !== undefined && filters.levels.length > 0 ? new Set(filters.levels) : null;
  const search = filters.search === undefined ? null : logSearchMatcher(filters.search);
  const spans = spansToRead<number, { chunk: number; first: number; last: number; entry: LogChunkEntry }>(
    index.logs.map((entry) => ({ chunk: entry.chunk, first: entry.first_seq, last: entry.last_seq, entry })),
    (a, b) => a - b,
    (span) => after === undefined || span.last > after,
    (span) => levels === null || [...levels].some((level) => (span.entry.levels[level] ?? 0) > 0),
  );
  const merged = mergeChunks<ArchivedLog, number, (typeof spans)[number]>({
    spans,
    load: (span) => loadChunk(source, span.entry, decodeLogs),
    keyOf: (line) => line.seq,
    compare: (a, b) => a - b,
    reached: (seq) => after === undefined || seq > after,
    past: () => false,
  });
  for await (const line of merged) {
    if (levels !== null && !levels.has(line.level)) continue;
    if (search !== null && !search(line)) continue;
    yield { job_id: job.jobId, seq: line.seq, at: iso(line.at), level: line.level, message: line.message, serial: line.serial };
  }
}

// Strings starting with the prefix are one contiguous range: a chunk holds some only if its range meets it.
function holdsPrefixRange(span: OutcomeChunkEntry, prefix: string): boolean {
  return span.last >= prefix && (span.first <= prefix || span.first.startsWith(prefix));
}

async function loadChunk<T>(source: ArchiveSource, entry: { key: string; bytes: number }, decode: (bytes: ArrayBuffer) => Promise<T[]>): Promise<readonly T[]> {
  const cache = source.cache ?? sharedChunkCache;
  return cache.get(`${entry.key}#${entry.bytes}`, async () => {
    const object = await source.bucket.get(entry.key);
    // The index names only chunks already written: a missing one means the archive lost data, say so.
    if (!object) throw new Error(`archive chunk ${entry.key} is missing`);
    return decode(await object.arrayBuffer());
  });
}

// Reads one entry past the page, as the D1 path asks for limit + 1 rows: its presence says a next page exists.
async function firstPage<T>(entries: AsyncGenerator<T>, limit: number, cursorOf: (entry: T) => string): Promise<Paged<T>> {
  const data: T[] = [];
  for await (const entry of entries) {
    // Leaving the loop ends the generator, so no chunk past this one is loaded.
    if (data.length === limit) return { data, nextCursor: cursorOf(data[data.length - 1]!) };
    data.push(entry);
  }
  return { data, nextCursor: null };
}

const iso = (ms: number) => new Date(ms).toISOString();

function toRecordOutcome(job: ArchivedJob, outcome: ArchivedOutcome): RecordOutcome {
  return {
    job_id: job.jobId,
    run_id: job.runId,
    serial: outcome.serial,
    action: outcome.action,
    changes: outcome.changes === null ? [] : (JSON.parse(outcome.changes) as FieldChange[]),
    differences: outcome.differences === null ? null : (JSON.parse(outcome.differences) as FieldDifference[]),
    http_status: outcome.http_status,
    payload_excerpt: outcome.payload_excerpt,
    error: outcome.error,
    recorded_at: iso(outcome.at),
  };
}
