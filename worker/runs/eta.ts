// Estimated time left for a running job and its run, from the rate of the job's recent progress. Pure: the
// coordinator records samples (its clock) and passes `now`.

export interface ProgressSample {
  at: number;
  processed: number;
}

export interface Eta {
  remaining_ms: number;
  finish_at: number;
}

export interface JobProgressCounts {
  in_scope: number | null;
  processed: number;
}

// A job not started yet: its scope when known (an apply run's plan), else how long its connection's last
// completed job took (null when it never completed one).
export interface QueuedJobEstimate {
  in_scope: number | null;
  typical_ms: number | null;
}

// The rate is measured over the last minute only, so a job that sped up or slowed down is judged as it is now;
// below 5 s or 20 records the rate is noise, and no estimate is better than a wild one.
export const ETA_WINDOW_MS = 60_000;
export const ETA_MIN_SPAN_MS = 5_000;
export const ETA_MIN_RECORDS = 20;
const MAX_SAMPLES = 64;

// Appends a sample, keeping one from before the window (the window's starting count) and at most MAX_SAMPLES.
export function addSample(samples: readonly ProgressSample[], sample: ProgressSample): ProgressSample[] {
  const last = samples.at(-1);
  // A count that went down is another attempt of the job (a restart re-counts from its checkpoint): start over.
  const kept = last !== undefined && sample.processed < last.processed ? [] : [...samples];
  if (last !== undefined && last.processed === sample.processed && kept.length > 0) return kept;
  kept.push(sample);
  const windowStart = sample.at - ETA_WINDOW_MS;
  let first = 0;
  while (first + 1 < kept.length && kept[first + 1]!.at <= windowStart) first += 1;
  return kept.slice(Math.max(first, kept.length - MAX_SAMPLES));
}

// Records per millisecond over the window ending now; a job that stopped moving slows its own rate down.
export function recentRate(samples: readonly ProgressSample[], now: number): number | null {
  const newest = samples.at(-1);
  if (newest === undefined) return null;
  const windowStart = now - ETA_WINDOW_MS;
  const base = samples.find((sample) => sample.at >= windowStart) ?? newest;
  const span = now - base.at;
  const done = newest.processed - base.processed;
  if (span < ETA_MIN_SPAN_MS || done < ETA_MIN_RECORDS) return null;
  return done / span;
}

export function jobRemainingMs(job: JobProgressCounts, rate: number | null): number | null {
  if (rate === null || rate <= 0 || job.in_scope === null) return null;
  return Math.ceil(Math.max(0, job.in_scope - job.processed) / rate);
}

// The running job's time left plus each queued job's; null when any part is unknown, since a run's estimate
// that leaves out a job would promise too early a finish.
export function runRemainingMs(running: JobProgressCounts | null, queued: readonly QueuedJobEstimate[], rate: number | null): number | null {
  if (running === null) return null;
  let total = jobRemainingMs(running, rate);
  for (const job of queued) {
    if (total === null) return null;
    const byScope = job.in_scope === null ? null : jobRemainingMs({ in_scope: job.in_scope, processed: 0 }, rate);
    const part = byScope ?? job.typical_ms;
    total = part === null ? null : total + part;
  }
  return total;
}

export function etaOf(remainingMs: number | null, now: number): Eta | null {
  return remainingMs === null ? null : { remaining_ms: remainingMs, finish_at: now + remainingMs };
}

// A coordinator's samples per job, kept in memory: after an eviction the estimate is null again until a new
// window of progress was seen, which is better than an estimate from before the pause.
export class EtaTracker {
  private readonly samples = new Map<string, ProgressSample[]>();

  record(jobId: string, processed: number, now: number): void {
    this.samples.set(jobId, addSample(this.samples.get(jobId) ?? [], { at: now, processed }));
  }

  rateOf(jobId: string, now: number): number | null {
    return recentRate(this.samples.get(jobId) ?? [], now);
  }

  forget(jobId: string): void {
    this.samples.delete(jobId);
  }
}
