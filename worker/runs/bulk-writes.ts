import { EngineError } from "../engine/errors";
import type { HttpResponse } from "../engine/http-client";
import { buildUpdateRequests, type CompiledUpdate, type UpdateRequest } from "../engine/payload";
import { planEntryOf, plannedRequest } from "../engine/plan-drift";
import type { CompiledMapping, Decision, FieldChange, RecordAction } from "../engine/reconcile";
import type { RunMode } from "../schemas/vocabulary";
import type { QueuedRecord, RecordOutcome } from "./slice-executor";

// A slice's bulk writes: the records looked up and decided are batched (at most max_records each), journaled,
// and sent at the connection's concurrency.

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
}

// Records already looked up are written even when the budget ran out: their lookups are spent.
export async function writeBulk(context: BulkWriteContext, writes: PendingWrite[]): Promise<void> {
  const { mode, mapping, update, excerpt, send, written, fromDecision, failedBy } = context;
  // Batches in queue order, whatever order the lookups finished in: a rebuilt batch gets the same key.
  writes.sort((a, b) => a.record.ord - b.record.ord);
  const bySerial = new Map(writes.map((w) => [w.record.serial, w]));
  const { requests, rejected } = buildUpdateRequests(
    update,
    writes.map((w) => w.decision),
    (serial) => bySerial.get(serial)?.destination,
    { keyScope: context.keyScope },
  );
  for (const { serial, error } of rejected) {
    const write = bySerial.get(serial)!;
    fromDecision(write.record, write.decision, "failed", { error });
  }
  const itemExcerpt = (write: PendingWrite) => excerpt(JSON.stringify(write.decision.payload));
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
  // Every batch's intents in one storage transaction, before any batch is sent.
  void context.journal(
    requests.flatMap((request) =>
      request.serials.map((serial) => {
        const write = bySerial.get(serial)!;
        return { record: write.record, decision: write.decision, key: request.idempotencyKey, body: JSON.stringify(write.decision.payload) };
      }),
    ),
  );
  const pending = [...requests];
  const sender = async () => {
    for (;;) {
      if (context.signal.aborted) return;
      const request = pending.shift();
      if (request === undefined) return;
      const writesOf = request.serials.map((serial) => bySerial.get(serial)!);
      try {
        const response = await send(request);
        await Promise.all(
          writesOf.map((write) => written(write.record, write.decision, { http_status: response.status, payload_excerpt: itemExcerpt(write) })),
        );
      } catch (error) {
        if (!(error instanceof EngineError)) throw error;
        if (error.code === "canceled") return;
        for (const write of writesOf) failedBy(write.record, error, write.decision.changes, itemExcerpt(write));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, context.concurrency) }, sender));
}
