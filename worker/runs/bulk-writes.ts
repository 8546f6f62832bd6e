import { EngineError } from "../engine/errors";
import type { HttpResponse } from "../engine/http-client";
import {
  buildBulkRequest,
  buildUpdateRequests,
  bulkKeyHolds,
  rootBatchKey,
  splitIdempotencyKey,
  type CompiledUpdate,
  type UpdateRequest,
} from "../engine/payload";
import { planEntryOf, plannedRequest } from "../engine/plan-drift";
import type { CompiledMapping, Decision, FieldChange, RecordAction } from "../engine/reconcile";
import type { RunMode } from "../schemas/vocabulary";
import { batchSplit, type LogLevel } from "./run-log";
import type { QueuedRecord, RecordOutcome } from "./slice-executor";

// A slice's bulk writes: the records looked up and decided are batched (at most max_records each), journaled,
// and sent at the connection's concurrency. A batch the destination rejects for its content is split in halves
// until the records it refuses are alone: those fail on their own and the rest are written.

export interface PendingWrite {
  record: QueuedRecord;
  decision: Decision;
  destination: unknown;
}

export interface BulkWriteContext {
  mode: RunMode;
  mapping: CompiledMapping;
  update: CompiledUpdate;
  keyScope: string;
  concurrency: number;
  signal: AbortSignal;
  excerpt: (text: string) => string;
  send: (request: UpdateRequest) => Promise<HttpResponse>;
  journal: (entries: Array<{ record: QueuedRecord; decision: Decision; key: string | null; body: string }>) => void | Promise<void>;
  // A write the destination accepted: counted updated, or read back first.
  written: (record: QueuedRecord, decision: Decision, extra: Partial<RecordOutcome>) => Promise<void>;
  fromDecision: (record: QueuedRecord, decision: Decision, action: RecordAction, extra?: Partial<RecordOutcome>) => void;
  failedBy: (record: QueuedRecord, error: EngineError, changes?: FieldChange[], payload?: string | null) => void;
  failJob: (error: EngineError) => void;
  // Records refused one by one in a row, with no write accepted between them, at which the job fails.
  refusedStreakLimit: number;
  log: (level: LogLevel, message: string) => void;
  // The slice's time and subrequest budget is spent.
  shouldStop: () => boolean;
}

interface Batch {
  request: UpdateRequest;
  writes: PendingWrite[];
  // The key of the batch as first sent (or rebuilt after a restart), from which every half's key derives.
  rootKey: string | null;
}

// Records a slice may hold in memory at once, whatever the batch size.
const MAX_BULK_SLICE_RECORDS = 10_000;

// A bulk slice holds as many batches as a slice of single writes holds records (each is one request), so its
// writes fill the connection's concurrency instead of a few batches per slice.
export function sliceRecordsFor(update: CompiledUpdate, records: number): number {
  return update.bulk === null ? records : Math.max(records, Math.min(records * update.bulk.maxRecords, MAX_BULK_SLICE_RECORDS));
}

// A rejected batch: its content was refused (400, 422, 409…), so another split of it may pass. Not an
// authentication, address, method or media type problem, a timeout or a rate limit: those are the request's.
export function rejectsContent(error: EngineError): error is EngineError & { http_status: number } {
  const status = error.http_status;
  if (status === null || status < 400 || status > 499 || status === 408 || status === 429) return false;
  return error.code === "bad_request" || error.code === "invalid_content" || error.code === "unexpected_status";
}

export function refusedAloneHint(status: number): string {
  return `The destination refused this record on its own (HTTP ${status}) and accepted the rest of its batch: correct the values it names, then rerun the failed serials`;
}

function refusedStreakError(count: number, last: EngineError): EngineError {
  return new EngineError({
    code: last.code,
    http_status: last.http_status,
    phase: "update",
    message: `${count} records in a row were refused one by one and none accepted; the job stopped. Last: ${last.message}`,
    hint: last.hint,
  });
}

// Records already looked up are written even when the budget ran out: their lookups are spent.
export async function writeBulk(context: BulkWriteContext, writes: PendingWrite[]): Promise<void> {
  const { mode, mapping, update, excerpt, send, written, fromDecision, failedBy } = context;
  // Batches in queue order, whatever order the lookups finished in: a rebuilt batch gets the same key.
  writes.sort((a, b) => a.record.ord - b.record.ord);
  const bySerial = new Map(writes.map((w) => [w.record.serial, w]));
  const itemExcerpt = (write: PendingWrite) => excerpt(JSON.stringify(write.decision.payload));
  const itemsOf = (batch: PendingWrite[]) => batch.map((w) => ({ serial: w.record.serial, payload: w.decision.payload! }));

  const { resumed, fresh } = mode === "live" ? resumedBatches(update, writes) : { resumed: [], fresh: writes };
  const { requests, rejected } = buildUpdateRequests(
    update,
    fresh.map((w) => w.decision),
    (serial) => bySerial.get(serial)?.destination,
    { keyScope: context.keyScope },
  );
  for (const { serial, error } of rejected) {
    const write = bySerial.get(serial)!;
    fromDecision(write.record, write.decision, "failed", { error });
  }
  if (mode === "dry") {
    for (const request of requests) {
      for (const serial of request.serials) {
        const write = bySerial.get(serial)!;
        const destination = write.destination as Record<string, unknown>;
        const item = plannedRequest(update, serial, write.decision.payload!, destination);
        const plan = "error" in item ? undefined : planEntryOf(mapping, update, write.decision, destination, item);
        fromDecision(write.record, write.decision, "would_update", { payload_excerpt: itemExcerpt(write), ...(plan ? { plan } : {}) });
      }
    }
    return;
  }
  const batches: Batch[] = [
    ...resumed,
    ...requests.map((request) => ({
      request,
      writes: request.serials.map((serial) => bySerial.get(serial)!),
      rootKey: request.idempotencyKey,
    })),
  ];
  const intentsOf = (batch: Batch) =>
    batch.writes.map((write) => ({
      record: write.record,
      decision: write.decision,
      key: batch.request.idempotencyKey,
      body: JSON.stringify(write.decision.payload),
    }));
  // Every batch's intents in one storage transaction, before any batch is sent.
  void context.journal(batches.flatMap(intentsOf));

  // Halves carry their own keys in the journal before they are sent, so a restart rebuilds them whole.
  const split = (batch: Batch, error: EngineError & { http_status: number }): Batch[] => {
    const middle = Math.ceil(batch.writes.length / 2);
    const halves = [batch.writes.slice(0, middle), batch.writes.slice(middle)].map((writes) => {
      const key =
        batch.rootKey === null
          ? null
          : splitIdempotencyKey(
              batch.rootKey,
              writes.map((w) => w.record.serial),
            );
      return { request: buildBulkRequest(update, itemsOf(writes), key), writes, rootKey: batch.rootKey };
    });
    void context.journal(halves.flatMap(intentsOf));
    context.log("WARN", batchSplit(batch.writes.length, error.http_status, halves[0]!.writes.length, halves[1]!.writes.length));
    return halves;
  };

  let refusedInARow = 0;
  const refusedAlone = (batch: Batch, error: EngineError & { http_status: number }) => {
    const write = batch.writes[0]!;
    fromDecision(write.record, write.decision, "failed", {
      error: error.message,
      hint: refusedAloneHint(error.http_status),
      http_status: error.http_status,
      payload_excerpt: itemExcerpt(write),
    });
    // Record after record refused and none accepted: the destination refuses the request, not some records.
    if (++refusedInARow >= context.refusedStreakLimit) context.failJob(refusedStreakError(refusedInARow, error));
  };

  // Resolves to the halves to send next when the batch was rejected for its content.
  const sendBatch = async (batch: Batch): Promise<Batch[]> => {
    try {
      const response = await send(batch.request);
      refusedInARow = 0;
      await Promise.all(
        batch.writes.map((write) => written(write.record, write.decision, { http_status: response.status, payload_excerpt: itemExcerpt(write) })),
      );
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      if (error.code === "canceled") return [];
      if (!rejectsContent(error)) {
        for (const write of batch.writes) failedBy(write.record, error, write.decision.changes, itemExcerpt(write));
      } else if (batch.writes.length > 1) {
        const halves = split(batch, error);
        // Past the slice's budget, halves with keys wait for the next slice, which rebuilds them from the journal.
        return batch.rootKey !== null && context.shouldStop() ? [] : halves;
      } else {
        refusedAlone(batch, error);
      }
    }
    return [];
  };

  // Halves go to the front of the queue and are sent at the same concurrency as whole batches.
  await new Promise<void>((resolve, reject) => {
    let active = 0;
    const pump = () => {
      while (active < Math.max(1, context.concurrency) && batches.length > 0 && !context.signal.aborted) {
        const batch = batches.shift()!;
        active += 1;
        sendBatch(batch).then((halves) => {
          active -= 1;
          batches.unshift(...halves);
          pump();
        }, reject);
      }
      if (active === 0) resolve();
    };
    pump();
  });
}

// After a restart, records whose intent still names the batch (or half) they were last sent in, all of them
// still to write, form that batch again under its key; the others are batched afresh.
function resumedBatches(update: CompiledUpdate, writes: PendingWrite[]): { resumed: Batch[]; fresh: PendingWrite[] } {
  const byKey = new Map<string, PendingWrite[]>();
  const fresh: PendingWrite[] = [];
  for (const write of writes) {
    const key = write.record.intent?.idempotency_key ?? null;
    if (key === null) fresh.push(write);
    else byKey.set(key, [...(byKey.get(key) ?? []), write]);
  }
  const resumed: Batch[] = [];
  for (const [key, group] of byKey) {
    const serials = group.map((w) => w.record.serial);
    if (!bulkKeyHolds(key, serials) || group.length > update.bulk!.maxRecords) {
      fresh.push(...group);
      continue;
    }
    let request: UpdateRequest;
    try {
      request = buildBulkRequest(
        update,
        group.map((w) => ({ serial: w.record.serial, payload: w.decision.payload! })),
        key,
      );
    } catch {
      // An item that no longer serialises is rejected on its own by the fresh batching.
      fresh.push(...group);
      continue;
    }
    resumed.push({ request, writes: group, rootKey: rootBatchKey(key) });
  }
  fresh.sort((a, b) => a.record.ord - b.record.ord);
  return { resumed, fresh };
}
