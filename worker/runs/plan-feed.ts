import type { DatasetRow } from "../ledger/run-scope";
import type { SourceProgress } from "./coordinator-store";
import { plannedNotInSource } from "./run-log";
import type { FeedStep, QueueEntry } from "./source-feed";

// An apply job's feed: only the serials of its plan are queued, each with its source record as it is now (null
// when the source no longer has it, which the slice reports as drifted). Serials outside the plan are never queued.

type DatasetProgress = Extract<SourceProgress, { kind: "dataset" }>;

// One batch of planned serials (serial order after `source.after`) with the dataset rows found for them.
export function takePlannedRows(
  source: DatasetProgress,
  serials: readonly string[],
  rows: ReadonlyArray<Pick<DatasetRow, "serial" | "record_json">>,
  batchSize: number,
): FeedStep<DatasetProgress> {
  const found = new Map(rows.map((row) => [row.serial, row.record_json]));
  return {
    queue: serials.map((serial) => ({ serial, record_json: found.get(serial) ?? null })),
    source: { ...source, after: serials.at(-1) ?? source.after, done: serials.length < batchSize },
    maxSeenMs: null,
    logs: serials.filter((serial) => !found.has(serial)).map(plannedNotInSource),
  };
}

// A page of an HTTP source already narrowed to planned serials; after the last page, the planned serials no
// page returned are queued without a record.
export function withPlannedRest(step: FeedStep, unseen: readonly string[], planned: number): FeedStep {
  const rest: QueueEntry[] = step.source.done ? unseen.map((serial) => ({ serial, record_json: null })) : [];
  return {
    ...step,
    queue: [...step.queue, ...rest],
    maxSeenMs: null,
    inScope: planned,
    logs: [...step.logs, ...rest.map((entry) => plannedNotInSource(entry.serial))],
  };
}
