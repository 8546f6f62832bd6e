import { writeIndex, writeLogChunk, writeOutcomeChunk, writeRequestChunk } from "../archive/archive-writer";
import { archiveDayOf, type FlushPlan, type JobArchiveState } from "./archive-flush";
import type { CoordinatorStore, FlushedArchive, JobArchiveRecord } from "./coordinator-store";

// The R2 side of a flush: each job's chunks of this flush, then its index (every chunk so far; sealed when
// asked). What it returns is stored with the dropped outbox rows, which is what advances the chunk numbers.

export interface JobArchives {
  states: Map<string, JobArchiveState>;
  records: Map<string, JobArchiveRecord>;
}

export function jobArchives(store: CoordinatorStore): JobArchives {
  const states = new Map<string, JobArchiveState>();
  const records = new Map<string, JobArchiveRecord>();
  const next = (entries: ReadonlyArray<{ chunk: number }>) => Math.max(0, ...entries.map((e) => e.chunk)) + 1;
  for (const job of store.jobs()) {
    const record = store.archive(job.plan.job_id);
    records.set(job.plan.job_id, record);
    states.set(job.plan.job_id, {
      plan: job.plan,
      nextOutcomeChunk: next(record.outcomeChunks),
      nextLogChunk: next(record.logChunks),
      nextRequestChunk: next(record.requestChunks),
      exceptionsKept: record.exceptionsKept,
    });
  }
  return { states, records };
}

export async function writeJobArchives(
  bucket: R2Bucket,
  runId: string,
  archives: JobArchives,
  flush: FlushPlan,
  seal: ReadonlySet<string>,
): Promise<FlushedArchive[]> {
  const jobIds = new Set([...flush.archived.map((f) => f.jobId), ...[...seal].filter((jobId) => archiveDayOf(archives.states.get(jobId)!.plan) !== null)]);
  return Promise.all(
    [...jobIds].map(async (jobId): Promise<FlushedArchive> => {
      const ref = { day: archiveDayOf(archives.states.get(jobId)!.plan)!, job_id: jobId, run_id: runId };
      const part = flush.archived.find((f) => f.jobId === jobId);
      const [outcomeChunk, logChunk, requestChunk] = await Promise.all([
        part?.outcomes ? writeOutcomeChunk(bucket, ref, part.outcomes.chunk, part.outcomes.rows) : null,
        part?.logs ? writeLogChunk(bucket, ref, part.logs.chunk, part.logs.rows) : null,
        part?.requests ? writeRequestChunk(bucket, ref, part.requests.chunk, part.requests.rows) : null,
      ]);
      const record = archives.records.get(jobId)!;
      const sealed = seal.has(jobId);
      await writeIndex(
        bucket,
        ref,
        outcomeChunk === null ? record.outcomeChunks : [...record.outcomeChunks, outcomeChunk],
        logChunk === null ? record.logChunks : [...record.logChunks, logChunk],
        requestChunk === null ? record.requestChunks : [...record.requestChunks, requestChunk],
        sealed,
      );
      return { jobId, outcomeChunk, logChunk, requestChunk, exceptionsTaken: part?.exceptionsTaken ?? 0, sealed };
    }),
  );
}
