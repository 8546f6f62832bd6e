import type { RequestPhase } from "../engine/errors";
import type { Paged } from "../ledger/run-reads";
import { statusClassOf, type RequestStatusClass } from "../schemas/requests";
import type { RequestChunkEntry } from "./archive-index";
import { readArchiveIndex, type ArchiveSource, type ArchivedJob } from "./archive-reader";
import { sharedChunkCache } from "./chunk-cache";
import { decodeRequests, type ArchivedRequest } from "./request-codec";

// A job's request log from its archive, by seq. Chunks hold disjoint seq ranges in chunk order (each flush
// takes the outbox's oldest entries), so a read walks them in order and opens only those whose counts and
// serial range can hold a match.

export interface RequestFilters {
  serial?: string;
  status?: RequestStatusClass;
  method?: string;
  url?: string;
  phase?: RequestPhase;
  afterSeq?: number;
}

export function requestMatcher(filters: RequestFilters): (request: ArchivedRequest) => boolean {
  const method = filters.method?.toUpperCase();
  const url = filters.url?.toLowerCase();
  return (request) =>
    (filters.afterSeq === undefined || request.seq > filters.afterSeq) &&
    (filters.serial === undefined || request.serials.includes(filters.serial)) &&
    (filters.status === undefined || statusClassOf(request.status) === filters.status) &&
    (method === undefined || request.method.toUpperCase() === method) &&
    (url === undefined || request.url.toLowerCase().includes(url)) &&
    (filters.phase === undefined || request.phase === filters.phase);
}

function chunkMayMatch(entry: RequestChunkEntry, filters: RequestFilters): boolean {
  const { serial, status, phase } = filters;
  const method = filters.method?.toUpperCase();
  return (
    (filters.afterSeq === undefined || entry.last_seq > filters.afterSeq) &&
    (status === undefined || (entry.statuses[status] ?? 0) > 0) &&
    (phase === undefined || (entry.phases[phase] ?? 0) > 0) &&
    (method === undefined || Object.entries(entry.methods).some(([name, n]) => name.toUpperCase() === method && n > 0)) &&
    (serial === undefined || (entry.serial_min !== null && entry.serial_max !== null && entry.serial_min <= serial && serial <= entry.serial_max))
  );
}

export async function* archivedRequests(source: ArchiveSource, job: ArchivedJob, filters: RequestFilters): AsyncGenerator<ArchivedRequest> {
  const index = await readArchiveIndex(source, job);
  if (!index) return;
  const matches = requestMatcher(filters);
  const chunks = [...index.requests].sort((a, b) => a.first_seq - b.first_seq);
  for (const entry of chunks) {
    if (!chunkMayMatch(entry, filters)) continue;
    for (const request of await loadRequestChunk(source, entry)) if (matches(request)) yield request;
  }
}

export async function listArchivedRequests(source: ArchiveSource, job: ArchivedJob, filters: RequestFilters, limit: number): Promise<Paged<ArchivedRequest>> {
  const data: ArchivedRequest[] = [];
  for await (const request of archivedRequests(source, job, filters)) {
    // One past the page says a next page exists; leaving the loop ends the read.
    if (data.length === limit) return { data, nextCursor: String(data[data.length - 1]!.seq) };
    data.push(request);
  }
  return { data, nextCursor: null };
}

/** One entry by its seq, or null. */
export async function readArchivedRequest(source: ArchiveSource, job: ArchivedJob, seq: number): Promise<ArchivedRequest | null> {
  const index = await readArchiveIndex(source, job);
  const entry = index?.requests.find((chunk) => chunk.first_seq <= seq && seq <= chunk.last_seq);
  if (!entry) return null;
  return (await loadRequestChunk(source, entry)).find((request) => request.seq === seq) ?? null;
}

async function loadRequestChunk(source: ArchiveSource, entry: RequestChunkEntry): Promise<readonly ArchivedRequest[]> {
  const cache = source.cache ?? sharedChunkCache;
  return cache.get(`${entry.key}#${entry.bytes}`, async () => {
    const object = await source.bucket.get(entry.key);
    if (!object) throw new Error(`archive chunk ${entry.key} is missing`);
    return decodeRequests(await object.arrayBuffer());
  });
}
