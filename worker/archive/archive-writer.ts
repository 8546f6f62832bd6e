import { statusClassOf } from "../schemas/requests";
import {
  countBy,
  INDEX_FORMAT_VERSION,
  type ArchiveIndex,
  type LogChunkEntry,
  type OutcomeChunkEntry,
  type PlanChunkEntry,
  type RequestChunkEntry,
} from "./archive-index";
import { indexKey, logChunkKey, outcomeChunkKey, planChunkKey, requestChunkKey } from "./archive-keys";
import { compareSerials, encodeLogs, encodeOutcomes, encodePlan, type ArchivedLog, type ArchivedOutcome, type PlanLine } from "./chunk-codec";
import { encodeRequests, type ArchivedRequest } from "./request-codec";

// The write side of the archive: one object per chunk, then index.json listing them. A chunk's key is fixed
// by its number, so writing the same chunk again (a flush replayed after a crash) replaces it.

export interface JobArchiveRef {
  day: string;
  job_id: string;
  run_id: string;
}

const CHUNK_METADATA = { httpMetadata: { contentType: "application/gzip" } };

export async function writeOutcomeChunk(bucket: R2Bucket, job: JobArchiveRef, chunk: number, outcomes: readonly ArchivedOutcome[]): Promise<OutcomeChunkEntry> {
  if (outcomes.length === 0) throw new Error("an outcome chunk needs at least one outcome");
  const key = outcomeChunkKey(job.day, job.job_id, chunk);
  const bytes = await encodeOutcomes(outcomes);
  await bucket.put(key, bytes, CHUNK_METADATA);
  const serials = outcomes.map((o) => o.serial).sort(compareSerials);
  return {
    chunk,
    key,
    count: outcomes.length,
    first: serials[0]!,
    last: serials[serials.length - 1]!,
    actions: countBy(outcomes.map((o) => o.action)),
    bytes: bytes.byteLength,
  };
}

export async function writeLogChunk(bucket: R2Bucket, job: JobArchiveRef, chunk: number, logs: readonly ArchivedLog[]): Promise<LogChunkEntry> {
  if (logs.length === 0) throw new Error("a log chunk needs at least one line");
  const key = logChunkKey(job.day, job.job_id, chunk);
  const bytes = await encodeLogs(logs);
  await bucket.put(key, bytes, CHUNK_METADATA);
  const seqs = logs.map((l) => l.seq);
  return {
    chunk,
    key,
    count: logs.length,
    first_seq: Math.min(...seqs),
    last_seq: Math.max(...seqs),
    levels: countBy(logs.map((l) => l.level)),
    bytes: bytes.byteLength,
  };
}

export async function writeRequestChunk(bucket: R2Bucket, job: JobArchiveRef, chunk: number, requests: readonly ArchivedRequest[]): Promise<RequestChunkEntry> {
  if (requests.length === 0) throw new Error("a request chunk needs at least one request");
  const key = requestChunkKey(job.day, job.job_id, chunk);
  const bytes = await encodeRequests(requests);
  await bucket.put(key, bytes, CHUNK_METADATA);
  const seqs = requests.map((r) => r.seq);
  const serials = requests.flatMap((r) => r.serials).sort(compareSerials);
  return {
    chunk,
    key,
    count: requests.length,
    first_seq: Math.min(...seqs),
    last_seq: Math.max(...seqs),
    statuses: countBy(requests.map((r) => statusClassOf(r.status))),
    methods: countBy(requests.map((r) => r.method)) as Record<string, number>,
    phases: countBy(requests.map((r) => r.phase)),
    serial_min: serials[0] ?? null,
    serial_max: serials.at(-1) ?? null,
    bytes: bytes.byteLength,
  };
}

export async function writePlanChunk(bucket: R2Bucket, job: JobArchiveRef, chunk: number, entries: readonly PlanLine[]): Promise<PlanChunkEntry> {
  if (entries.length === 0) throw new Error("a plan chunk needs at least one entry");
  const key = planChunkKey(job.day, job.job_id, chunk);
  const bytes = await encodePlan(entries);
  await bucket.put(key, bytes, CHUNK_METADATA);
  const serials = entries.map((e) => e.serial).sort(compareSerials);
  return { chunk, key, count: entries.length, first: serials[0]!, last: serials[serials.length - 1]!, bytes: bytes.byteLength };
}

// The whole index is written each time from the writer's own list of chunks: no read of the previous one.
export async function writeIndex(
  bucket: R2Bucket,
  job: JobArchiveRef,
  outcomes: readonly OutcomeChunkEntry[],
  logs: readonly LogChunkEntry[],
  requests: readonly RequestChunkEntry[],
  sealed: boolean,
  plan: readonly PlanChunkEntry[] = [],
): Promise<ArchiveIndex> {
  const index: ArchiveIndex = {
    version: INDEX_FORMAT_VERSION,
    job_id: job.job_id,
    run_id: job.run_id,
    day: job.day,
    outcomes: [...outcomes].sort((a, b) => a.chunk - b.chunk),
    logs: [...logs].sort((a, b) => a.chunk - b.chunk),
    requests: [...requests].sort((a, b) => a.chunk - b.chunk),
    ...(plan.length > 0 ? { plan: [...plan].sort((a, b) => a.chunk - b.chunk) } : {}),
    sealed,
  };
  await bucket.put(indexKey(job.day, job.job_id), JSON.stringify(index), { httpMetadata: { contentType: "application/json" } });
  return index;
}
