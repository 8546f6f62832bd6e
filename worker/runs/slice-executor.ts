import { EngineError } from "../engine/errors";
import type { HttpClient } from "../engine/http-client";
import { ifMatchValue } from "../engine/if-match";
import { lookupBySerial, type DestinationLookup, type PerSerialFetchContract } from "../engine/lookup";
import { buildSingleRequest, isSuccessStatus, textHash, type CompiledUpdate, type UpdateRequest } from "../engine/payload";
import { checkPlanDrift, planEntryOf, type PlanEntry } from "../engine/plan-drift";
import { compareReadBack } from "../engine/read-back";
import { reconcile, type CompiledMapping, type Decision, type FieldChange, type FieldDifference, type RecordAction } from "../engine/reconcile";
import type { RunMode } from "../schemas/vocabulary";
import { answerRefusal, answersRefusedError } from "./answer-refusal";
import { recordsRefusedError, refusedRecordHint, refusesRecord } from "./record-refusals";
import { createBulkWriter, type BulkWriter } from "./bulk-writes";
import type { LogLevel } from "./run-log";
import type { WriteIntent } from "./write-intent";

// One slice of a job over the engine: lookup, reconcile, and (live) write each record, reporting every
// finished record at once so the coordinator can checkpoint it before anything else happens.

export interface QueuedRecord {
  ord: number;
  serial: string;
  source: Record<string, unknown> | null;
  // A write sent before an interruption whose outcome was never checkpointed.
  intent: WriteIntent | null;
  // An apply job: the serial's planned write (every record an apply job queues has one).
  plan?: PlanEntry | null;
}

export interface RecordOutcome {
  ord: number;
  serial: string;
  action: RecordAction;
  changes: FieldChange[];
  http_status: number | null;
  payload_excerpt: string | null;
  error: string | null;
  hint: string | null;
  // A transient failure (retries exhausted, timeout, network): the record is retried by the next run.
  transient: boolean;
  reason: string | null;
  // The record has a write intent in the journal, to be dropped with the outcome.
  journaled: boolean;
  // Counted updated because the destination holds what a write sent before a restart meant to set.
  confirmed: boolean;
  // The fields that did not hold what was expected (verify_mismatch, drifted); absent or null when none.
  differences?: FieldDifference[] | null;
  // A dry job's would_update: the write it plans, kept in the archive for an apply.
  plan?: PlanEntry;
  // List-mode read-back: a written record held back, not counted yet, until the job's verifying phase re-reads the
  // listing; it keeps the payload sent, to compare then.
  awaiting_readback?: Record<string, unknown>;
  // That phase's outcome of a held-back record, which leaves the waiting list.
  read_back?: true;
}

// Which written serials are read back and how: at once through the per-serial fetch contract, or "deferred" to
// one re-read of the listing after the job's records (list mode).
export interface SliceReadBack {
  sampled: (serial: string) => boolean;
  fetch: PerSerialFetchContract | "deferred";
}

export interface SliceOptions {
  records: readonly QueuedRecord[];
  mode: RunMode;
  // An apply job: each record's planned write is sent only while what the plan saw still holds.
  applying?: boolean;
  mapping: CompiledMapping;
  update: CompiledUpdate;
  lookup: DestinationLookup;
  client: HttpClient;
  // The connection's concurrency: the client gates the requests in flight, the slice keeps them fed.
  concurrency: number;
  // Aborts on cancel: in-flight requests stop and their records stay queued.
  signal: AbortSignal;
  // Checked before each record starts: the slice's time and subrequest budget.
  shouldStop: () => boolean;
  onOutcome: (outcome: RecordOutcome) => void;
  // Transient failures in a row so far in this job; at `limit` the job fails instead of grinding on.
  failureStreak: { current: number; limit: number };
  // Scope of the idempotency keys (the job id): the same for every retry and resume of a write.
  keyScope: string;
  // Live runs: stores write intents before their requests are sent; the promise settles when they are durable
  // (their requests are sent then), and writes that become ready meanwhile share the next transaction.
  journal: (intents: WriteIntent[]) => void | Promise<void>;
  // Records prepared ahead of the requests (the client's semaphore still caps those): their write intents are
  // journaled in groups of about half this many rather than one storage commit per record, while at least
  // `concurrency` journaled writes remain. Every commit holds all outgoing requests until it is durable. 0: one
  // group per write that is ready while none is journaling.
  writeAhead?: number;
  // Live runs that verify writes; null otherwise.
  readBack: SliceReadBack | null;
  now: () => number;
  // A line for the job's log (a rejected bulk batch split in halves).
  log?: (level: LogLevel, message: string) => void;
  // Resolves once the current turn has ended (EngineRuntime.yieldToIo): bulk writes store in a turn of their own.
  nextTurn?: () => Promise<void>;
}

export type SliceResult =
  { kind: "continue"; failureStreak: number } | { kind: "failed"; error: EngineError; failureStreak: number } | { kind: "canceled"; failureStreak: number };

const EXCERPT_CHARS = 500;
const LANDED_BEFORE_RESEND =
  "written: an earlier attempt landed, so the destination answered its resend 412 (the version had moved on); read again, the record holds every value sent";
const IF_MATCH_MISSING_HINT = "Check the update contract's if_match against what the lookup answers: a write is sent only with the version it was decided on";
// Records in progress per request the connection allows in flight. The client's gate keeps the requests to the
// limit; the extra records' lookups fill the slots that writes leave while their intents become durable.
const RECORDS_PER_REQUEST_SLOT = 2;

function excerptOf(text: string): string {
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

export async function executeSlice(options: SliceOptions): Promise<SliceResult> {
  const { mapping, update, mode, client, lookup } = options;
  const controller = new AbortController();
  const onCancel = () => controller.abort(options.signal.reason);
  options.signal.addEventListener("abort", onCancel, { once: true });
  if (options.signal.aborted) onCancel();

  let terminal: EngineError | null = null;
  let streak = options.failureStreak.current;
  const failJob = (error: EngineError) => {
    if (terminal !== null) return;
    terminal = error;
    controller.abort(error);
  };

  const emit = (outcome: RecordOutcome) => {
    options.onOutcome(outcome);
    if (outcome.action !== "failed") streak = 0;
    else if (outcome.transient && ++streak >= options.failureStreak.limit && terminal === null) {
      failJob(streakError(streak, outcome));
    }
  };

  // Records whose write intent this slice journaled; with those that arrived with one, their outcome drops it.
  const journaledNow = new Set<number>();
  const journal = (entries: Array<{ record: QueuedRecord; decision: Decision; key: string | null; body: string }>) => {
    const at = options.now();
    for (const { record } of entries) journaledNow.add(record.ord);
    return options.journal(
      entries.map(({ record, decision, key, body }) => ({
        ord: record.ord,
        serial: record.serial,
        idempotency_key: key,
        payload_hash: textHash(body),
        changes: decision.changes,
        attempted_at: at,
      })),
    );
  };

  // Group commit for single writes: every write ready while the previous group's intents become durable is
  // journaled in one transaction, so storage (whose writes hold all outgoing requests) is not paid per record.
  interface ReadyWrite {
    record: QueuedRecord;
    decision: Decision;
    request: UpdateRequest;
    settle: (error?: unknown) => void;
  }
  const ready: ReadyWrite[] = [];
  let flushing = false;
  const writeAhead = Math.max(0, options.writeAhead ?? 0);
  const groupSize = Math.max(1, Math.floor(writeAhead / 2));
  // Journaled single writes not settled yet; workers that stopped taking records (the rest cannot fill a group).
  let unsettled = 0;
  let finishedWorkers = 0;
  let lookupsInFlight = 0;
  // Each storage write holds every outgoing request of the Durable Object until durable, so intents go in groups.
  // Lookups from a listing are instant, so a group there fills from records decided ahead (writeAhead) while
  // enough journaled writes keep the connection busy. Lookups over HTTP add to a group until it fills the
  // connection's concurrency or none is left in flight.
  const groupDue = () =>
    ready.length > 0 &&
    (writeAhead > 0
      ? ready.length >= groupSize || unsettled < Math.max(1, options.concurrency) || finishedWorkers > 0 || stopped()
      : ready.length >= options.concurrency || lookupsInFlight === 0);
  const flushIfDue = () => {
    if (!flushing && groupDue()) void flushWrites();
  };
  async function flushWrites(): Promise<void> {
    flushing = true;
    try {
      while (groupDue()) {
        const group = ready.splice(0);
        unsettled += group.length;
        try {
          // A write is never sent before its intent is durable: a journal that answers a promise is awaited here,
          // and the coordinator's (which only stores) relies on the output gate holding the requests until it is.
          await journal(group.map(({ record, decision, request }) => ({ record, decision, key: request.idempotencyKey, body: request.body })));
        } catch (error) {
          unsettled -= group.length;
          for (const write of group) write.settle(error);
          continue;
        }
        for (const write of group) {
          sendSingle(write.record, write.decision, write.request)
            .then(
              () => write.settle(),
              (error: unknown) => write.settle(error),
            )
            .finally(() => {
              unsettled -= 1;
              flushIfDue();
            });
        }
      }
    } finally {
      flushing = false;
    }
  }
  const submitWrite = (record: QueuedRecord, decision: Decision, request: UpdateRequest) =>
    new Promise<void>((resolve, reject) => {
      ready.push({ record, decision, request, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      flushIfDue();
    });

  const fromDecision = (record: QueuedRecord, decision: Decision, action: RecordAction, extra: Partial<RecordOutcome> = {}) =>
    emit({
      ord: record.ord,
      serial: record.serial,
      action,
      changes: decision.changes,
      http_status: null,
      payload_excerpt: null,
      error: decision.error ?? null,
      hint: null,
      transient: false,
      reason: decision.reason ?? null,
      journaled: record.intent !== null || journaledNow.has(record.ord),
      confirmed: false,
      differences: null,
      ...extra,
    });

  const failedBy = (record: QueuedRecord, error: EngineError, changes: FieldChange[] = [], payload: string | null = null) => {
    fromDecision(record, { serial: record.serial, kind: "failed", changes, payload: null }, "failed", {
      error: error.message,
      hint: error.hint,
      http_status: error.http_status,
      transient: error.retryable,
      payload_excerpt: payload,
    });
    if (!error.retryable) failJob(error);
  };

  // Bulk mode: records decided go into batches sent while the rest of the slice is looked up.
  let bulk: BulkWriter | null = null;

  // A write sent before a restart landed when the destination now holds everything it meant to set: the
  // fresh decision has nothing left to write. Otherwise it is sent again, with the same idempotency key.
  const landed = (decision: Decision) =>
    (decision.kind === "write" || decision.kind === "skipped_no_change" || decision.kind === "skipped_rule") &&
    !decision.changes.some((change) => change.written);

  // The lookup that confirms it read the record after the write, so a serial in the read-back sample is verified.
  const confirm = (record: QueuedRecord, intent: WriteIntent, decision: Decision) =>
    fromDecision(record, decision, options.readBack?.sampled(record.serial) === true ? "verified" : "updated", {
      changes: intent.changes,
      reason: "confirmed after restart: the destination holds the values written before the interruption",
      confirmed: true,
    });

  // A write the destination accepted: counted updated, or read back first when it is in the sample.
  async function written(record: QueuedRecord, decision: Decision, extra: Partial<RecordOutcome>): Promise<void> {
    const readBack = options.readBack;
    if (readBack === null || decision.payload === null || !readBack.sampled(record.serial)) return fromDecision(record, decision, "updated", extra);
    if (readBack.fetch === "deferred") return fromDecision(record, decision, "updated", { ...extra, awaiting_readback: decision.payload });
    let stored: Record<string, unknown> | null;
    let missing: string | undefined;
    try {
      const { outcome } = await lookupBySerial({ client, contract: readBack.fetch, serial: record.serial, signal: controller.signal, phase: "readback" });
      stored = outcome.status === "found" ? (outcome.record as Record<string, unknown>) : null;
      if (outcome.status === "missing") missing = `${outcome.reason}: ${outcome.detail}`;
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      // The write landed; only its check did not, so it counts as written, unverified, and the job goes on.
      return fromDecision(record, decision, "updated", { ...extra, reason: `written, not verified: reading it back failed: ${error.message}` });
    }
    const result = compareReadBack(mapping, decision.payload, stored, missing);
    fromDecision(record, decision, result.verified ? "verified" : "verify_mismatch", {
      ...extra,
      differences: result.differences.length === 0 ? null : result.differences,
      reason: result.hint,
    });
  }

  const send = (request: UpdateRequest) =>
    client.request({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
      phase: "update",
      serials: request.serials,
      accept: (status) => isSuccessStatus(update, status),
      mayRetryAfterSend: request.retrySafe,
    });

  // Writes refused one after another with none accepted between them: by a success answer that said they failed, or
  // by a status that refuses one record.
  let refusedInARow = 0;

  const refusedAlone = (record: QueuedRecord, decision: Decision, error: EngineError & { http_status: number }, payload: string) => {
    fromDecision(record, decision, "failed", {
      error: error.message,
      hint: refusedRecordHint(error.http_status),
      http_status: error.http_status,
      payload_excerpt: payload,
    });
    if (++refusedInARow >= options.failureStreak.limit) failJob(recordsRefusedError(refusedInARow, error));
  };

  async function sendSingle(record: QueuedRecord, decision: Decision, request: UpdateRequest): Promise<void> {
    const payload = excerptOf(request.body);
    try {
      const response = await send(request);
      const refusal = answerRefusal(update, response.status, response.text, request.url, "write");
      if (refusal !== null) {
        fromDecision(record, decision, "failed", { error: refusal.error, hint: refusal.hint, http_status: response.status, payload_excerpt: payload });
        // Every answer refusing: the requests are wrong, not some records.
        if (++refusedInARow >= options.failureStreak.limit) failJob(answersRefusedError(refusedInARow, "writes", response.status, refusal.error));
        return;
      }
      refusedInARow = 0;
      await written(record, decision, { http_status: response.status, payload_excerpt: payload });
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      if (error.code === "canceled") return; // not written as far as we know: stays queued
      if (error.http_status === 412 && error.resent && (await landedBeforeResend(record))) {
        refusedInARow = 0;
        return written(record, decision, { http_status: error.http_status, payload_excerpt: payload, reason: LANDED_BEFORE_RESEND });
      }
      if (refusesRecord(update, error)) return refusedAlone(record, decision, error, payload);
      failedBy(record, error, decision.changes, payload);
    }
  }

  // A write resent after an attempt the destination may have applied, answered 412: its If-Match names the version
  // the first attempt replaced, when that attempt landed and the destination ignores idempotency keys. Read again,
  // a record that holds everything the write meant to set was written by this run.
  async function landedBeforeResend(record: QueuedRecord): Promise<boolean> {
    if (update.ifMatch === null || !lookup.current) return false;
    const again = (await lookup.lookupMany([record.serial], controller.signal)).get(record.serial)?.outcome;
    if (again?.status !== "found") return false;
    return landed(reconcile({ serial: record.serial, source: record.source, destination: again.record as Record<string, unknown>, rules: mapping }));
  }

  const drifted = (record: QueuedRecord, reason: string, differences: FieldDifference[]) =>
    fromDecision(record, { serial: record.serial, kind: "skipped_rule", changes: [], payload: null }, "drifted", { reason, differences });

  async function processRecord(record: QueuedRecord): Promise<void> {
    const { serial, source } = record;
    const plan = options.applying === true ? (record.plan ?? null) : null;
    // Never reached by a feed that queues only planned serials: an apply writes nothing it did not plan.
    if (options.applying === true && plan === null) return drifted(record, "the serial is not in the plan", []);
    // A record without its required source fields needs no lookup (an apply looks it up: a sent write may have landed).
    const early = reconcile({ serial, source, destination: null, rules: mapping });
    if (early.kind === "missing_source" && plan === null) return fromDecision(record, early, "missing_source");

    lookupsInFlight += 1;
    let looked: Awaited<ReturnType<DestinationLookup["lookupMany"]>>;
    try {
      looked = await lookup.lookupMany([serial], controller.signal);
    } finally {
      lookupsInFlight -= 1;
      flushIfDue();
    }
    const found = looked.get(serial);
    if (found === undefined) throw new Error(`lookup returned nothing for ${serial}`);
    const { outcome } = found;
    if (outcome.status === "error") {
      if (outcome.error.code === "canceled") return;
      return failedBy(record, outcome.error);
    }
    const destination = outcome.status === "found" ? (outcome.record as Record<string, unknown>) : null;
    let decision = reconcile({ serial, source, destination, rules: mapping });
    if (record.intent !== null && mode === "live" && landed(decision)) return confirm(record, record.intent, decision);
    if (plan !== null) {
      const verdict = checkPlanDrift({ entry: plan, mapping, update, source, destination });
      if (verdict.kind === "drifted") return drifted(record, verdict.reason, verdict.differences);
      decision = verdict.decision;
    }
    if (decision.kind !== "write" || decision.payload === null) {
      const action = decision.kind === "write" ? "skipped_rule" : decision.kind;
      const reason = outcome.status === "missing" ? `${outcome.reason}: ${outcome.detail}` : (decision.reason ?? null);
      return fromDecision(record, decision, action, { reason });
    }
    if (bulk !== null) return bulk.add({ record, decision, destination });
    const built = buildSingleRequest(update, serial, decision.payload, destination, { keyScope: options.keyScope });
    if ("error" in built) return fromDecision(record, decision, "failed", { error: built.error });
    if (mode === "dry") {
      const entry = planEntryOf(mapping, update, decision, destination!, { method: built.method, url: built.url, body: built.body });
      return fromDecision(record, decision, "would_update", { payload_excerpt: excerptOf(built.body), plan: entry });
    }
    if (update.ifMatch !== null) {
      const version = ifMatchValue(update.ifMatch, destination, outcome.status === "found" ? (outcome.etag ?? null) : null);
      if (!version.ok)
        return fromDecision(record, decision, "failed", { error: version.error, hint: IF_MATCH_MISSING_HINT, payload_excerpt: excerptOf(built.body) });
      built.headers["If-Match"] = version.value;
    }
    await submitWrite(record, decision, built);
  }

  // Taken by position: shifting a slice of thousands of records would move the rest each time.
  let next = 0;
  const stopped = () => controller.signal.aborted || options.shouldStop();
  const worker = async () => {
    try {
      for (;;) {
        if (stopped()) return;
        const record = options.records[next++];
        if (record === undefined) return;
        await processRecord(record);
        bulk?.decided(record.ord);
      }
    } finally {
      finishedWorkers += 1;
      flushIfDue();
    }
  };
  if (update.bulk !== null) {
    const context = { mode, mapping, update, keyScope: options.keyScope, concurrency: options.concurrency, signal: controller.signal };
    const log = options.log ?? (() => undefined);
    const refusedStreakLimit = options.failureStreak.limit;
    bulk = createBulkWriter(
      {
        ...context,
        excerpt: excerptOf,
        send,
        journal,
        written,
        fromDecision,
        failedBy,
        failJob,
        log,
        refusedStreakLimit,
        shouldStop: options.shouldStop,
        ...(options.nextTurn === undefined ? {} : { nextTurn: options.nextTurn }),
      },
      options.records.map((record) => record.ord),
    );
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) * RECORDS_PER_REQUEST_SLOT + writeAhead }, worker));
    await bulk?.finish();
  } finally {
    options.signal.removeEventListener("abort", onCancel);
  }

  if (options.signal.aborted) return { kind: "canceled", failureStreak: streak };
  if (terminal !== null) return { kind: "failed", error: terminal, failureStreak: streak };
  return { kind: "continue", failureStreak: streak };
}

function streakError(streak: number, last: RecordOutcome): EngineError {
  return new EngineError({
    code: "retries_exhausted",
    http_status: last.http_status,
    message: `${streak} records in a row failed after retries; the job stopped. Last: ${last.error ?? "unknown error"}`,
    hint: last.hint ?? "The endpoint kept failing: check its health, then rerun the failed serials",
  });
}
