import type { DatasetRow } from "../ledger/run-scope";
import type { SourceProgress } from "./coordinator-store";
import { latestOf, type FeedStep } from "./source-feed";

type DatasetProgress = Extract<SourceProgress, { kind: "dataset" }>;

// One batch of dataset rows, read in serial order after `source.after`; a short batch is the last.
export function takeDatasetRows(
  source: DatasetProgress,
  rows: ReadonlyArray<Pick<DatasetRow, "serial" | "record_json" | "updated_at">>,
  batchSize: number,
  maxSeenMs: number | null,
): FeedStep<DatasetProgress> {
  let latest = maxSeenMs;
  for (const row of rows) latest = latestOf(latest, row.updated_at);
  return {
    queue: rows.map((r) => ({ serial: r.serial, record_json: r.record_json })),
    source: { ...source, after: rows.at(-1)?.serial ?? source.after, done: rows.length < batchSize },
    maxSeenMs: latest,
    logs: [],
  };
}
