import type { SourceProgress } from "./coordinator-store";
import { notInSource } from "./run-log";
import type { FeedStep } from "./source-feed";

type SingleProgress = Extract<SourceProgress, { kind: "single" }>;

export interface SingleSerialRead {
  // The serial's record as JSON, or null when this read did not find it.
  record_json: string | null;
  // No page of the source follows: a serial not found by now is not in the source.
  last: boolean;
  // Where a paged source's read stands next (null for a dataset, or after the last page).
  nextState: SingleProgress["state"];
}

// A single run looks for one serial. Not found anywhere, it is still queued, without a record, so the
// lookup reports it as missing source; the log says so first.
export function takeSingleSerial(source: SingleProgress, read: SingleSerialRead): FeedStep<SingleProgress> {
  const found = read.record_json !== null;
  const queue = found || read.last ? [{ serial: source.serial, record_json: read.record_json }] : [];
  return {
    queue,
    source: { ...source, state: read.nextState, done: found || read.last },
    maxSeenMs: null,
    logs: !found && read.last ? [notInSource(source.serial)] : [],
  };
}
