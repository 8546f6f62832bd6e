import { readItemResults, type ItemVerdict } from "../engine/bulk-item-results";
import { EngineError, excerpt } from "../engine/errors";
import type { HttpResponse } from "../engine/http-client";
import {
  buildBulkRequest,
  answerFormat,
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
import { answerRefusal, answersRefusedError } from "./answer-refusal";
import { recordsRefusedError, refusesRecord } from "./record-refusals";
import { batchSplit, type LogLevel } from "./run-log";
import type { QueuedRecord, RecordOutcome } from "./slice-executor";

// A slice's bulk writes: the records are batched (at most max_records each) as they are looked up and decided,
// journaled and sent at the connection's concurrency while the rest of the slice is still being looked up. A batch
// the destination rejects for its content is split in halves until the records it refuses are alone: those fail on
// their own and the rest are written.

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
  // Resolves once the current turn has ended (EngineRuntime.yieldToIo). A request leaves when the turn that made it
  // ends, after any storage write of that turn has become durable (the output gate): intents and outcomes are stored
  // in a turn of their own, so the batches sent beside them leave at once. Absent: stored in the same turn.
  nextTurn?: () => Promise<void>;
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

const REFUSED_IN_ANSWER_HINT =
  "The destination listed this record as refused in its answer to the bulk request and took the rest: correct the values it names, then rerun the failed serials";

const UNREADABLE_ANSWER_HINT =
  "Check the connection's bulk.item_results against what the destination answers; the next run looks these serials up again and writes only what is still missing";

function unreadableAnswer(status: number, reason: string): string {
  return `The destination accepted the bulk request (HTTP ${status}) but its answer could not be read for refused records (${reason}), so no record of it counts as written`;
}

// Why a record of an accepted batch failed, or undefined when the answer counts it written.
function refusalOf(verdict: ItemVerdict, i: number, status: number): Pick<RecordOutcome, "error" | "hint" | "http_status"> | undefined {
  if (!verdict.ok) return { error: unreadableAnswer(status, verdict.reason), hint: UNREADABLE_ANSWER_HINT, http_status: status };
  const refused = verdict.refused.get(i);
  if (refused === undefined) return undefined;
  return {
    error: `The destination accepted the bulk request (HTTP ${status}) but refused this record${refused.status === null ? "" : ` (${refused.status})`}${excerpt(refused.message)}`,
    hint: REFUSED_IN_ANSWER_HINT,
    http_status: refused.status ?? status,
  };
}

function itemsUnmatched(count: number, status: number): string {
  return `${count} ${count === 1 ? "item" : "items"} of a bulk answer (HTTP ${status}) named no record of its request and ${count === 1 ? "was" : "were"} ignored`;
}

export interface BulkWriter {
  // A record looked up and decided to be written. Settles once the writer has room for more (the batches formed
  // and not yet sent stay under a bound), so lookups run ahead of the writes by a few batches, not the whole slice.
  add(write: PendingWrite): Promise<void>;
  // The record at this ord is decided (written or not; add() says so itself): batches take records in queue order,
  // whatever order their lookups finished in, so the same slice always forms the same batches.
  decided(ord: number): void;
  // No more records: the last partial batch and the records resumed under their keys go out; settles when every
  // write has its outcome (or the slice was aborted). Records already looked up are written even when the budget ran out.
  finish(): Promise<void>;
}

// Whole batches formed ahead of the requests, per request the connection allows in flight: enough that a slot
// freed while the next group of intents is journaled finds a batch waiting.
const BATCHES_AHEAD_PER_SLOT = 2;
// Journaled batches handed to the client beyond its concurrency, waiting there for a permit: the client gives a
// freed permit to a waiting request in the turn its answer arrives, so the next batch leaves at once instead of
// after the answer's bookkeeping (bench: bulk ÷ plain loop 1.05 → 1.04).
const QUEUED_AT_CLIENT = 1;

// Batches are formed as records are decided, journaled ahead of the requests (every batch formed since the last
// commit in one storage transaction) while the slots are busy, and sent as a slot frees: the writes use the
// connection's full concurrency while the rest of the slice is still being looked up.
export function createBulkWriter(context: BulkWriteContext, order: readonly number[]): BulkWriter {
  const { mode, mapping, update, excerpt, send, written, fromDecision, failedBy } = context;
  const maxRecords = update.bulk!.maxRecords;
  const limit = Math.max(1, context.concurrency);
  const itemExcerpt = (write: PendingWrite) => excerpt(JSON.stringify(write.decision.payload));
  const itemsOf = (batch: PendingWrite[]) => batch.map((w) => ({ serial: w.record.serial, payload: w.decision.payload! }));

  // Writes decided ahead of a record before them in the queue; the position in `order` of the first record not
  // decided yet; decided records not in a batch yet; those resumed with an intent's key, batched together at the end.
  const early = new Map<number, PendingWrite>();
  const undecided = new Set(order);
  let released = 0;
  let open: PendingWrite[] = [];
  const resuming: PendingWrite[] = [];
  // Batches formed and not journaled yet; journaled and not sent yet (halves of a rejected batch first).
  const unjournaled: Batch[] = [];
  const sendable: Batch[] = [];
  let active = 0;
  let journaling = 0;
  // Accepted batches whose outcomes (read-backs included) are not all given yet; they hold no slot of the writer.
  let settling = 0;
  let finishing = false;
  // A journal of the batches formed is due in the next turn.
  let journalTurnAhead = false;
  let failure: { error: unknown } | null = null;
  const waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  let finished: { resolve: () => void; reject: (error: unknown) => void } | null = null;

  // Fresh records in queue order within their batch, whatever order their lookups finished in.
  const formBatches = (writes: PendingWrite[]) => {
    if (writes.length === 0) return;
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
    for (const request of requests) {
      const batch = request.serials.map((serial) => bySerial.get(serial)!);
      if (mode === "dry") planned(batch);
      else unjournaled.push({ request, writes: batch, rootKey: request.idempotencyKey });
    }
  };

  const planned = (batch: PendingWrite[]) => {
    for (const write of batch) {
      const destination = write.destination as Record<string, unknown>;
      const item = plannedRequest(update, write.record.serial, write.decision.payload!, destination);
      const plan = "error" in item ? undefined : planEntryOf(mapping, update, write.decision, destination, item);
      fromDecision(write.record, write.decision, "would_update", { payload_excerpt: itemExcerpt(write), ...(plan ? { plan } : {}) });
    }
  };

  const intentsOf = (batch: Batch) =>
    batch.writes.map((write) => ({
      record: write.record,
      decision: write.decision,
      key: batch.request.idempotencyKey,
      body: JSON.stringify(write.decision.payload),
    }));

  // No batch is sent before its intents are durable: a journal that answers a promise is awaited, and the
  // coordinator's (which only stores) relies on the output gate holding the requests until they are.
  // "hold": journaled only (halves past the slice's budget, which the next slice rebuilds from the journal).
  const journalThen = (batches: Batch[], place: "front" | "back" | "hold") => {
    const placed = () => {
      if (place === "front") sendable.unshift(...batches);
      else if (place === "back") sendable.push(...batches);
    };
    let stored: void | Promise<void>;
    try {
      stored = context.journal(batches.flatMap(intentsOf));
    } catch (error) {
      fail(error);
      return;
    }
    if (stored === undefined) {
      placed();
      return;
    }
    journaling += 1;
    stored.then(
      () => {
        journaling -= 1;
        placed();
        pump();
      },
      (error: unknown) => {
        journaling -= 1;
        fail(error);
      },
    );
  };

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
    context.log("WARN", batchSplit(batch.writes.length, error.http_status, halves[0]!.writes.length, halves[1]!.writes.length));
    return halves;
  };

  let refusedInARow = 0;
  // A 2xx answer: each record written, unless the whole answer says the request failed (update.answer_check) or its
  // item list (bulk.item_results) says the record was refused.
  const settleAccepted = (batch: Batch, response: HttpResponse): Promise<unknown> => {
    const whole = answerRefusal(context.update, response.status, response.text, batch.request.url, "bulk request");
    if (whole !== null) {
      for (const write of batch.writes) {
        fromDecision(write.record, write.decision, "failed", {
          error: whole.error,
          hint: whole.hint,
          http_status: response.status,
          payload_excerpt: itemExcerpt(write),
        });
      }
      // A refused answer counts once per batch towards the streak: the destination refuses the requests, not records.
      if (++refusedInARow >= context.refusedStreakLimit) context.failJob(answersRefusedError(refusedInARow, "bulk requests", response.status, whole.error));
      return Promise.resolve();
    }
    refusedInARow = 0;
    const spec = context.update.bulk?.itemResults ?? null;
    const verdict =
      spec === null
        ? null
        : readItemResults(
            spec,
            answerFormat(context.update),
            response.text,
            batch.writes.map((write) => write.record.serial),
            batch.request.url,
          );
    if (verdict?.ok === true && verdict.unmatched > 0) context.log("WARN", itemsUnmatched(verdict.unmatched, response.status));
    return Promise.all(
      batch.writes.map((write, i) => {
        const extra = { http_status: response.status, payload_excerpt: itemExcerpt(write) };
        const refusal = verdict === null ? undefined : refusalOf(verdict, i, response.status);
        if (refusal === undefined) return written(write.record, write.decision, extra);
        fromDecision(write.record, write.decision, "failed", { ...extra, ...refusal });
        return Promise.resolve();
      }),
    );
  };

  const refusedAlone = (batch: Batch, error: EngineError & { http_status: number }) => {
    const write = batch.writes[0]!;
    fromDecision(write.record, write.decision, "failed", {
      error: error.message,
      hint: refusedAloneHint(error.http_status),
      http_status: error.http_status,
      payload_excerpt: itemExcerpt(write),
    });
    // Record after record refused and none accepted: the destination refuses the request, not some records.
    if (++refusedInARow >= context.refusedStreakLimit) context.failJob(recordsRefusedError(refusedInARow, error));
  };

  // The batch's slot goes back (with the halves to send next, if any) before its outcomes are stored: a storage write
  // holds every request sent after it until it is durable, so the next batch leaves first.
  const sendBatch = async (batch: Batch): Promise<void> => {
    let slot = true;
    const release = (halves: Batch[]) => {
      if (!slot) return;
      slot = false;
      active -= 1;
      if (halves.length > 0 && failure === null) journalThen(halves, "front");
      pump();
    };
    try {
      await sendAndRecord(batch, release);
    } catch (error) {
      // Unexpected (not the destination's answer): the writer stops, and the slot is given back once.
      failure ??= { error };
      release([]);
    }
  };

  const sendAndRecord = async (batch: Batch, release: (halves: Batch[]) => void): Promise<void> => {
    let response: HttpResponse;
    try {
      response = await send(batch.request);
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      if (error.code === "canceled") return release([]);
      // A status the connection lists as refusing one record (404, say) is split like a content rejection.
      if (!rejectsContent(error) && !refusesRecord(update, error)) {
        release([]);
        for (const write of batch.writes) failedBy(write.record, error, write.decision.changes, itemExcerpt(write));
      } else if (batch.writes.length > 1) {
        const halves = split(batch, error);
        // Past the slice's budget, halves with keys wait for the next slice, which rebuilds them from the journal.
        const held = batch.rootKey !== null && context.shouldStop();
        if (held) journalThen(halves, "hold");
        release(held ? [] : halves);
      } else {
        release([]);
        refusedAlone(batch, error);
      }
      return;
    }
    settling += 1;
    release([]);
    const record = () => settleAccepted(batch, response);
    (context.nextTurn === undefined ? record() : context.nextTurn().then(record)).then(
      () => {
        settling -= 1;
        pump();
      },
      (error: unknown) => {
        settling -= 1;
        fail(error);
      },
    );
  };

  const fail = (error: unknown) => {
    failure ??= { error };
    pump();
  };

  const ahead = () => unjournaled.length + sendable.length;
  const idle = () => active === 0 && journaling === 0 && settling === 0;

  function pump(): void {
    const stopped = () => failure !== null || context.signal.aborted;
    for (;;) {
      while (!stopped() && active < limit + QUEUED_AT_CLIENT && sendable.length > 0) {
        const batch = sendable.shift()!;
        active += 1;
        void sendBatch(batch);
      }
      // The next batches are journaled while the slots are still busy, so a slot that frees finds a batch whose
      // intents are already durable; in the next turn, after the requests sent in this one have left.
      if (stopped() || journaling > 0 || unjournaled.length === 0 || sendable.length >= limit) break;
      if (context.nextTurn === undefined) {
        journalThen(unjournaled.splice(0), "back");
        continue;
      }
      if (!journalTurnAhead) {
        journalTurnAhead = true;
        void context.nextTurn().then(() => {
          journalTurnAhead = false;
          if (!stopped() && journaling === 0 && unjournaled.length > 0) journalThen(unjournaled.splice(0), "back");
          pump();
        });
      }
      break;
    }
    // Lookups go on while the batches ahead are few; all of them when the slice stops (their records stay queued).
    if (failure !== null || context.signal.aborted || ahead() < limit * BATCHES_AHEAD_PER_SLOT) {
      for (const waiter of waiters.splice(0)) {
        if (failure === null) waiter.resolve();
        else waiter.reject(failure.error);
      }
    }
    if (finished === null || !finishing) return;
    if (failure !== null && idle()) finished.reject(failure.error);
    else if (idle() && (context.signal.aborted || ahead() === 0)) finished.resolve();
  }

  function decided(ord: number): void {
    undecided.delete(ord);
    for (; released < order.length && !undecided.has(order[released]!); released += 1) {
      const write = early.get(order[released]!);
      if (write === undefined) continue;
      early.delete(write.record.ord);
      open.push(write);
      if (open.length < maxRecords) continue;
      formBatches(open);
      open = [];
    }
    pump();
  }

  return {
    decided,
    add(write) {
      if (failure !== null) return Promise.reject(failure.error);
      if (mode === "live" && write.record.intent?.idempotency_key != null) resuming.push(write);
      else early.set(write.record.ord, write);
      decided(write.record.ord);
      return new Promise<void>((resolve, reject) => {
        waiters.push({ resolve, reject });
        pump();
      });
    },
    finish() {
      finishing = true;
      return new Promise<void>((resolve, reject) => {
        finished = { resolve, reject };
        if (failure === null && !context.signal.aborted) {
          const { resumed, fresh } = resumedBatches(update, resuming);
          unjournaled.unshift(...resumed);
          // Anything still held back (a record before it never decided) is written all the same: its lookup is spent.
          formBatches([...open, ...early.values(), ...fresh]);
          early.clear();
          open = [];
        }
        pump();
      });
    },
  };
}

// After a restart, records whose intent still names the batch (or half) they were last sent in, all of them
// still to write, form that batch again under its key; the others are batched afresh.
function resumedBatches(update: CompiledUpdate, writes: readonly PendingWrite[]): { resumed: Batch[]; fresh: PendingWrite[] } {
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
