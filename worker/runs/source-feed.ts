import type { SourceProgress } from "./coordinator-store";
import type { LogNote } from "./run-log";

// What one read of a job's source adds: the records to queue, where the read stands next, the highest
// updated-at seen so far (the next cursor), and lines for the log. Each kind of source has its own feed
// (dataset-feed, paged-source-feed, single-serial-feed); the job step reads and stores, the feed decides.

export interface QueueEntry {
  serial: string;
  record_json: string | null;
}

export interface FeedStep<S extends SourceProgress = SourceProgress> {
  queue: QueueEntry[];
  source: S;
  maxSeenMs: number | null;
  // Records in scope once this read is counted; absent when the read does not change it.
  inScope?: number;
  logs: LogNote[];
}

export function latestOf(maxSeenMs: number | null, at: number): number {
  return Math.max(maxSeenMs ?? at, at);
}
