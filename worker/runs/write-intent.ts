import type { FieldChange } from "../engine/reconcile";

// A write about to be sent, journaled before the request leaves so that after a crash the record is looked up
// again and a write that landed is counted as updated rather than found unchanged. Dropped with its queue row.
// Apart from the store, so the slice executor's types need no storage (its tests run in Node).
export interface WriteIntent {
  ord: number;
  serial: string;
  idempotency_key: string | null;
  payload_hash: string;
  // What the write meant to change (before → after), reported as the outcome if it is confirmed.
  changes: FieldChange[];
  attempted_at: number;
}
