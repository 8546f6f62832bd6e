import type { RecordAction } from "../engine/reconcile";
import type { RequestPhase } from "../engine/errors";
import type { RequestStatusClass } from "../schemas/requests";
import type { LogLevel } from "../schemas/vocabulary";

// index.json of a job: the list of its chunks with what a reader needs to skip most of them. Outcome chunks
// carry their serial range and counts per action, so a page filtered by action or serial prefix reads only
// chunks that can hold a match; log chunks carry their seq range and counts per level. A serial found in
// two chunks (a flush replayed after a crash, a record retried in a later slice) takes the higher chunk.
// Request chunks carry their seq range, counts per status class, method and phase, and the least and greatest
// serial their requests are about, so a filtered page skips chunks that cannot hold a match.
// `sealed` is set once the job has finished and its last chunk is written.

export const INDEX_FORMAT_VERSION = 1;

export interface OutcomeChunkEntry {
  chunk: number;
  key: string;
  count: number;
  first: string;
  last: string;
  actions: Partial<Record<RecordAction, number>>;
  bytes: number;
}

export interface LogChunkEntry {
  chunk: number;
  key: string;
  count: number;
  first_seq: number;
  last_seq: number;
  levels: Partial<Record<LogLevel, number>>;
  bytes: number;
}

export interface RequestChunkEntry {
  chunk: number;
  key: string;
  count: number;
  first_seq: number;
  last_seq: number;
  statuses: Partial<Record<RequestStatusClass, number>>;
  methods: Record<string, number>;
  phases: Partial<Record<RequestPhase, number>>;
  // null when no request of the chunk is about a serial (source and listing pages, token requests).
  serial_min: string | null;
  serial_max: string | null;
  bytes: number;
}

export interface ArchiveIndex {
  version: number;
  job_id: string;
  run_id: string;
  day: string;
  outcomes: OutcomeChunkEntry[];
  logs: LogChunkEntry[];
  // Absent in an index written before the request log: no requests.
  requests: RequestChunkEntry[];
  sealed: boolean;
}

export function emptyIndex(jobId: string, runId: string, day: string): ArchiveIndex {
  return { version: INDEX_FORMAT_VERSION, job_id: jobId, run_id: runId, day, outcomes: [], logs: [], requests: [], sealed: false };
}

export function parseIndex(text: string): ArchiveIndex {
  const index = JSON.parse(text) as ArchiveIndex;
  if (index.version !== INDEX_FORMAT_VERSION) throw new Error(`archive index format ${String(index.version)} is not ${INDEX_FORMAT_VERSION}`);
  index.requests ??= [];
  return index;
}

export function countBy<K extends string>(keys: readonly K[]): Partial<Record<K, number>> {
  const counts: Partial<Record<K, number>> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
