import { env } from "cloudflare:test";
import { countBy, emptyIndex, parseIndex, type ArchiveIndex } from "../../../worker/archive/archive-index";
import { archiveDay, indexKey, logChunkKey, outcomeChunkKey } from "../../../worker/archive/archive-keys";
import { encodeLogs, encodeOutcomes, type ArchivedLog, type ArchivedOutcome } from "../../../worker/archive/chunk-codec";
import { setJobArchiveDay } from "../../../worker/ledger/job-archive-day";
import type { JobRow, RunRow } from "../../../worker/ledger/run-rows";
import { makeLogs, makeOutcomes, makeRun, type JobOverrides, type LogFixture, type OutcomeFixture, type RunFixture } from "./ledger";

// Archived jobs built without the archive writer: D1 run and job rows (with archive_day) through the
// ledger, and R2 chunks and index.json written with the archive format's own codec, one chunk per call
// as the coordinator flushes one per slice. Outcomes and lines get the times makeOutcomes and makeLogs
// give, so a test can build the same job in both layouts and expect the same answers.

/** A run whose jobs keep their history in the R2 archive. */
export async function makeArchivedRun(overrides: Partial<Omit<RunRow, "connection_count">> = {}, jobs: JobOverrides[] = [{}]): Promise<RunFixture> {
  const run = await makeRun(overrides, jobs);
  for (const job of run.jobs) await setJobArchiveDay(env.LEDGER, job.id, archiveDay(job.created_at));
  return run;
}

/** A run whose jobs keep their history in D1 rows, as jobs did before the archive (new jobs get an archive_day). */
export async function makeLegacyRun(overrides: Partial<Omit<RunRow, "connection_count">> = {}, jobs: JobOverrides[] = [{}]): Promise<RunFixture> {
  const run = await makeRun(overrides, jobs);
  for (const job of run.jobs) await setJobArchiveDay(env.LEDGER, job.id, null);
  return run;
}

async function readIndex(job: JobRow): Promise<ArchiveIndex> {
  const day = archiveDay(job.created_at);
  const object = await env.ARCHIVE.get(indexKey(day, job.id));
  return object ? parseIndex(await object.text()) : emptyIndex(job.id, job.run_id, day);
}

async function writeIndex(index: ArchiveIndex): Promise<void> {
  await env.ARCHIVE.put(indexKey(index.day, index.job_id), JSON.stringify(index));
}

const nextChunk = (entries: ReadonlyArray<{ chunk: number }>) => Math.max(0, ...entries.map((entry) => entry.chunk)) + 1;

/** Appends one outcome chunk (a flush) and its index entry; a serial repeated from an earlier chunk overrides it. */
export async function archiveOutcomes(job: JobRow, outcomes: OutcomeFixture[]): Promise<void> {
  if (outcomes.length === 0) return;
  const archived: ArchivedOutcome[] = outcomes.map((outcome) => ({
    serial: outcome.serial,
    action: outcome.action,
    changes: outcome.changes ? JSON.stringify(outcome.changes) : null,
    differences: outcome.differences ? JSON.stringify(outcome.differences) : null,
    http_status: outcome.http_status ?? null,
    payload_excerpt: null,
    error: outcome.error ?? null,
    at: job.created_at + 100,
  }));
  const index = await readIndex(job);
  const chunk = nextChunk(index.outcomes);
  const key = outcomeChunkKey(index.day, job.id, chunk);
  const bytes = await encodeOutcomes(archived);
  await env.ARCHIVE.put(key, bytes);
  const serials = archived.map((outcome) => outcome.serial).sort();
  index.outcomes.push({
    chunk,
    key,
    count: archived.length,
    first: serials[0]!,
    last: serials[serials.length - 1]!,
    actions: countBy(archived.map((outcome) => outcome.action)),
    bytes: bytes.byteLength,
  });
  await writeIndex(index);
}

/** Appends one log chunk with seq firstSeq, firstSeq + 1, …; line n is written at created_at + n − 1 ms. */
export async function archiveLogs(job: JobRow, lines: LogFixture[], firstSeq = 1): Promise<void> {
  if (lines.length === 0) return;
  const archived: ArchivedLog[] = lines.map((line, i) => ({
    seq: firstSeq + i,
    at: job.created_at + firstSeq + i - 1,
    level: line.level,
    message: line.message,
    serial: line.serial ?? null,
  }));
  const index = await readIndex(job);
  const chunk = nextChunk(index.logs);
  const key = logChunkKey(index.day, job.id, chunk);
  const bytes = await encodeLogs(archived);
  await env.ARCHIVE.put(key, bytes);
  index.logs.push({
    chunk,
    key,
    count: archived.length,
    first_seq: firstSeq,
    last_seq: firstSeq + archived.length - 1,
    levels: countBy(archived.map((line) => line.level)),
    bytes: bytes.byteLength,
  });
  await writeIndex(index);
}

export async function sealArchive(job: JobRow): Promise<void> {
  await writeIndex({ ...(await readIndex(job)), sealed: true });
}

/** An ARCHIVE bucket that remembers every key read, to show which chunks a read opened. */
export function countingArchive(): { bucket: Pick<R2Bucket, "get">; reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    bucket: {
      get: ((key: string) => {
        reads.push(key);
        return env.ARCHIVE.get(key);
      }) as R2Bucket["get"],
    },
  };
}

export interface HistoryLayout {
  name: string;
  makeRun: typeof makeRun;
  makeOutcomes: typeof makeOutcomes;
  makeLogs: typeof makeLogs;
}

// The two places a job's history lives: API tests run against both and expect the same answers.
export const HISTORY_LAYOUTS: HistoryLayout[] = [
  { name: "D1 rows of a job from before the archive", makeRun: makeLegacyRun, makeOutcomes, makeLogs },
  { name: "R2 archive", makeRun: makeArchivedRun, makeOutcomes: archiveOutcomes, makeLogs: archiveLogs },
];
