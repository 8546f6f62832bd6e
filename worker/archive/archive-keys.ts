// Where a job's archive lives in the ARCHIVE bucket. Everything of one job is under
// `jobs/<day>/<job_id>/`, the day being the UTC day of the job's created_at, so one day of history is one
// prefix: retention purges and the export copies `jobs/<day>/` without reading a row.
//
//   jobs/2026-12-05/job_…/index.json                  the job's chunk list (archive-index.ts)
//   jobs/2026-12-05/job_…/outcomes/000001.ndjson.gz   outcomes of one flush, sorted by serial
//   jobs/2026-12-05/job_…/logs/000001.ndjson.gz       log lines of one flush, in seq order
//   jobs/2026-12-05/job_…/requests/000001.ndjson.gz   HTTP attempts of one flush, in seq order

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function archiveDay(createdAtMs: number): string {
  return new Date(createdAtMs).toISOString().slice(0, 10);
}

export function dayPrefix(day: string): string {
  if (!DAY.test(day)) throw new Error(`not a UTC day: ${day}`);
  return `jobs/${day}/`;
}

export function jobPrefix(day: string, jobId: string): string {
  return `${dayPrefix(day)}${jobId}/`;
}

export function indexKey(day: string, jobId: string): string {
  return `${jobPrefix(day, jobId)}index.json`;
}

// Zero-padded so a listing returns chunks in write order.
export function outcomeChunkKey(day: string, jobId: string, chunk: number): string {
  return `${jobPrefix(day, jobId)}outcomes/${String(chunk).padStart(6, "0")}.ndjson.gz`;
}

export function logChunkKey(day: string, jobId: string, chunk: number): string {
  return `${jobPrefix(day, jobId)}logs/${String(chunk).padStart(6, "0")}.ndjson.gz`;
}

export function requestChunkKey(day: string, jobId: string, chunk: number): string {
  return `${jobPrefix(day, jobId)}requests/${String(chunk).padStart(6, "0")}.ndjson.gz`;
}
