import type { LogLine, RecordOutcome } from "../schemas/runs";
import { readJobHistoryLocation, type JobHistoryLocation } from "../ledger/job-archive-day";
import { listLogLines, listRecordOutcomes, type LogListFilters, type Paged, type RecordListFilters } from "../ledger/run-reads";
import { ChunkCache } from "./chunk-cache";
import {
  archivedLogs,
  archivedRecords,
  listArchivedLogs,
  listArchivedRecords,
  readArchivedOutcome,
  type ArchiveSource,
  type ArchivedJob,
  type LogStreamFilters,
  type RecordStreamFilters,
} from "./archive-reader";

// One door to a job's records and logs wherever they live: the R2 archive for a job with an archive_day,
// the D1 rows (record_outcomes, logs) for a job from before the archive. Every reader (the Records and Logs
// tabs, the CSV and log downloads, Compare, MCP) goes through here, so both layouts answer alike.

export interface HistoryStores {
  LEDGER: D1Database;
  ARCHIVE: Pick<R2Bucket, "get">;
}

// The D1 path reads its rows in pages of this size while an export streams.
const D1_EXPORT_PAGE = 500;

export type JobHistory = { kind: "archive"; job: ArchivedJob; source: ArchiveSource } | { kind: "ledger"; jobId: string; db: D1Database };

/** null when the job does not exist. */
export async function openJobHistory(stores: HistoryStores, jobId: string): Promise<JobHistory | null> {
  const location = await readJobHistoryLocation(stores.LEDGER, jobId);
  if (!location) return null;
  return historyAt(stores, location);
}

function historyAt(stores: HistoryStores, location: JobHistoryLocation): JobHistory {
  if (location.archiveDay === null) return { kind: "ledger", jobId: location.jobId, db: stores.LEDGER };
  return { kind: "archive", job: { jobId: location.jobId, runId: location.runId, day: location.archiveDay }, source: { bucket: stores.ARCHIVE } };
}

export async function listJobRecords(history: JobHistory, filters: RecordListFilters): Promise<Paged<RecordOutcome>> {
  if (history.kind === "archive") return listArchivedRecords(history.source, history.job, filters);
  return (await listRecordOutcomes(history.db, history.jobId, filters)) ?? { data: [], nextCursor: null };
}

export function jobRecords(history: JobHistory, filters: RecordStreamFilters): AsyncGenerator<RecordOutcome> {
  if (history.kind === "archive") return archivedRecords(uncached(history.source), history.job, filters);
  return paged(async (cursor) => listRecordOutcomes(history.db, history.jobId, { ...filters, cursor: cursor ?? filters.cursor, limit: D1_EXPORT_PAGE }));
}

export async function readJobOutcome(history: JobHistory, serial: string): Promise<RecordOutcome | null> {
  if (history.kind === "archive") return readArchivedOutcome(history.source, history.job, serial);
  const page = await listRecordOutcomes(history.db, history.jobId, { serialPrefix: serial, limit: 1 });
  const first = page?.data[0];
  return first?.serial === serial ? first : null;
}

export async function listJobLogs(history: JobHistory, filters: LogListFilters): Promise<Paged<LogLine>> {
  if (history.kind === "archive") return listArchivedLogs(history.source, history.job, filters);
  return (await listLogLines(history.db, history.jobId, filters)) ?? { data: [], nextCursor: null };
}

export function jobLogs(history: JobHistory, filters: LogStreamFilters): AsyncGenerator<LogLine> {
  if (history.kind === "archive") return archivedLogs(uncached(history.source), history.job, filters);
  return paged(async (cursor) =>
    listLogLines(history.db, history.jobId, { ...filters, afterSeq: cursor === null ? filters.afterSeq : Number(cursor), limit: D1_EXPORT_PAGE }),
  );
}

// An export reads each chunk once, in order: caching it would only push out the chunks pages reuse, and
// memory stays at the chunks open in the merge.
function uncached(source: ArchiveSource): ArchiveSource {
  return { ...source, cache: new ChunkCache(0) };
}

async function* paged<T>(read: (cursor: string | null) => Promise<Paged<T> | null>): AsyncGenerator<T> {
  let cursor: string | null = null;
  do {
    const page = await read(cursor);
    if (!page) return;
    yield* page.data;
    cursor = page.nextCursor;
  } while (cursor !== null);
}
