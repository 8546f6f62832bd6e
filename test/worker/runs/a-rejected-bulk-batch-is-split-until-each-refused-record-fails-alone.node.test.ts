import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UpdateContractSchema } from "../../../worker/engine/contracts";
import { createHttpClient, type HttpClient, type HttpResponse } from "../../../worker/engine/http-client";
import { createDestinationLookup, type PerSerialFetchContract } from "../../../worker/engine/lookup";
import { compileUpdateContract } from "../../../worker/engine/payload";
import { createSystemRuntime } from "../../../worker/engine/runtime";
import { createBulkWriter, refusedAloneHint, type BulkWriteContext, type PendingWrite } from "../../../worker/runs/bulk-writes";
import { executeSlice, type RecordOutcome, type SliceResult } from "../../../worker/runs/slice-executor";
import type { WriteIntent } from "../../../worker/runs/write-intent";
import { startLoopbackServer, type LoopbackServer } from "../../engine/support/loopback-server";
import { makeMapping } from "../../engine/factories";

// A bulk destination on loopback that validates a whole batch: one refused serial in it and the batch is answered
// 422, nothing applied. It counts what it applied per serial and checks each write was journaled first.

const serialsOf = (count: number) => Array.from({ length: count }, (_, i) => `SN-${String(i).padStart(3, "0")}`);
let server: LoopbackServer;
const stored = new Map<string, string>();
const applied = new Map<string, number>();
const refused = new Set<string>();
let batchStatus: (serials: string[]) => number = (serials) => (serials.some((s) => refused.has(s)) ? 422 : 200);
// Set: the destination takes the batch, applies what it can and answers with this body, given the refused serials.
let itemAnswer: ((serials: string[]) => { status: number; body: string | object }) | null = null;
// Called as each bulk write arrives, before it is answered.
let onWrite: (key: string) => void = () => undefined;
let journaled = new Map<number, WriteIntent>();
const unjournaled: string[] = [];
// Each test's keys carry its own scope: a request a previous test aborted may still reach the server late, and is
// then neither applied nor counted.
let tests = 0;
let scope = "job_0";
const ours = (headers: Record<string, unknown>) => String(headers["idempotency-key"]).startsWith(`${scope}:`);

beforeAll(async () => {
  server = await startLoopbackServer(({ method, url, body, headers }) => {
    if (method === "GET") {
      const serial = url.pathname.split("/").pop()!;
      return { body: { device: { serial, status: stored.get(serial) ?? "old" } } };
    }
    if (!ours(headers)) return { status: 409, body: { error: "a request of an earlier test" } };
    const items = (JSON.parse(body) as { devices: Array<{ serial: string; status: string }> }).devices;
    const serials = items.map((i) => i.serial);
    onWrite(String(headers["idempotency-key"]));
    for (const serial of serials) if (![...journaled.values()].some((i) => i.serial === serial)) unjournaled.push(serial);
    if (itemAnswer !== null) {
      for (const item of items.filter((i) => !refused.has(i.serial))) {
        stored.set(item.serial, item.status);
        applied.set(item.serial, (applied.get(item.serial) ?? 0) + 1);
      }
      return itemAnswer(serials);
    }
    const status = batchStatus(serials);
    if (status !== 200) return { status, body: { error: `invalid status for ${serials.filter((s) => refused.has(s)).join(", ")}` } };
    for (const item of items) {
      stored.set(item.serial, item.status);
      applied.set(item.serial, (applied.get(item.serial) ?? 0) + 1);
    }
    return { body: { ok: true } };
  });
});

afterAll(() => server.close());

beforeEach(() => {
  stored.clear();
  applied.clear();
  refused.clear();
  batchStatus = (serials) => (serials.some((s) => refused.has(s)) ? 422 : 200);
  onWrite = () => undefined;
  itemAnswer = null;
  journaled = new Map();
  unjournaled.length = 0;
  server.requests.length = 0;
  scope = `job_${++tests}`;
});

interface SliceRun {
  serials: string[];
  maxRecords?: number;
  concurrency?: number;
  intents?: ReadonlyMap<number, WriteIntent>;
  signal?: AbortSignal;
  shouldStop?: () => boolean;
  itemResults?: Record<string, string>;
  recordRefusals?: number[];
}

async function runSlice({
  serials,
  maxRecords = 50,
  concurrency = 4,
  intents = new Map(),
  signal = new AbortController().signal,
  shouldStop = () => false,
  itemResults,
  recordRefusals,
}: SliceRun) {
  const fetchContract: PerSerialFetchContract = {
    mode: "per_serial",
    url_template: `${server.url}/devices/{serial}`,
    format: "json",
    record_path: "device",
    serial_path: "serial",
    headers: {},
  };
  const client: HttpClient = createHttpClient({
    runtime: createSystemRuntime(),
    limits: { requests_per_second: 10_000, concurrency, timeout_ms: 5000, retry_attempts: 1 },
    backoff: { base_ms: 1, max_ms: 2 },
  });
  const outcomes: RecordOutcome[] = [];
  const logs: string[] = [];
  const ords = new Map(serialsOf(200).map((serial, ord) => [serial, ord]));
  const result: SliceResult = await executeSlice({
    records: serials.map((serial) => {
      const ord = ords.get(serial)!;
      return { ord, serial, source: { status: "new" }, intent: intents.get(ord) ?? null };
    }),
    mode: "live",
    mapping: makeMapping([{ source: "status", destination: "status" }]),
    update: compileUpdateContract(
      UpdateContractSchema.parse({
        method: "POST",
        url_template: `${server.url}/bulk`,
        bulk: { max_records: maxRecords, records_key: "devices", serial_field: "serial", ...(itemResults === undefined ? {} : { item_results: itemResults }) },
        ...(recordRefusals === undefined ? {} : { record_refusal_statuses: recordRefusals }),
      }),
    ),
    lookup: createDestinationLookup({ client, contract: fetchContract }),
    client,
    concurrency,
    signal,
    shouldStop,
    onOutcome: (outcome) => outcomes.push(outcome),
    failureStreak: { current: 0, limit: 25 },
    keyScope: scope,
    journal: (batch) => batch.forEach((intent) => journaled.set(intent.ord, intent)),
    readBack: null,
    now: () => Date.now(),
    log: (level, message) => logs.push(`${level} ${message}`),
  });
  const writes = server.requests.filter((r) => r.method === "POST" && ours(r.headers));
  return {
    result,
    outcomes: new Map(outcomes.map((o) => [o.serial, o])),
    emitted: outcomes.length,
    logs,
    writes: writes.map((r) => ({
      key: String(r.headers["idempotency-key"]),
      serials: (JSON.parse(r.body) as { devices: Array<{ serial: string }> }).devices.map((d) => d.serial),
    })),
  };
}

const tally = (outcomes: Map<string, RecordOutcome>) => {
  const counts: Record<string, number> = {};
  for (const o of outcomes.values()) counts[o.action] = (counts[o.action] ?? 0) + 1;
  return counts;
};

describe("a bulk batch the destination rejects for one record's content", () => {
  it("is split in halves until that record fails alone: 199 of 200 written once, one line per split", async () => {
    const all = serialsOf(200);
    refused.add("SN-077");
    const { result, outcomes, emitted, logs, writes } = await runSlice({ serials: all });

    expect(result.kind).toBe("continue");
    expect(emitted).toBe(200);
    expect(tally(outcomes)).toEqual({ updated: 199, failed: 1 });
    expect(outcomes.get("SN-077")).toMatchObject({
      action: "failed",
      http_status: 422,
      transient: false,
      hint: refusedAloneHint(422),
      payload_excerpt: '{"status":"new"}',
      journaled: true,
    });
    expect(outcomes.get("SN-077")!.error).toMatch(/^POST http:\/\/127\.0\.0\.1:\d+\/bulk returned 422: .*invalid status for SN-077/);
    expect(outcomes.get("SN-076")).toMatchObject({ action: "updated", http_status: 200, error: null });
    expect(all.filter((s) => s !== "SN-077").every((s) => applied.get(s) === 1)).toBe(true);
    expect(applied.has("SN-077")).toBe(false);
    expect(unjournaled).toEqual([]);

    // The batch of SN-050..099 halves down to SN-077: 50 → 25+25, 25 → 13+12, 13 → 7+6, 7 → 4+3, 4 → 2+2, 2 → 1+1.
    expect(logs).toEqual([
      "WARN Batch of 50 rejected (422): split into 25 + 25",
      "WARN Batch of 25 rejected (422): split into 13 + 12",
      "WARN Batch of 13 rejected (422): split into 7 + 6",
      "WARN Batch of 7 rejected (422): split into 4 + 3",
      "WARN Batch of 4 rejected (422): split into 2 + 2",
      "WARN Batch of 2 rejected (422): split into 1 + 1",
    ]);
    // 4 whole batches and 2 requests per split, every one under its own key; a half's key names its batch.
    expect(writes).toHaveLength(4 + 2 * 6);
    expect(new Set(writes.map((w) => w.key)).size).toBe(writes.length);
    const root = writes.find((w) => w.serials.includes("SN-077") && w.serials.length === 50)!;
    expect(root.key).toMatch(new RegExp(`^${scope}:bulk-50-[0-9a-f]{16}$`));
    for (const half of writes.filter((w) => w.serials.length < 50))
      expect(half.key).toMatch(new RegExp(`^${root.key}:split-${half.serials.length}-[0-9a-f]{16}$`));
    expect(writes.filter((w) => w.serials.length === 1).map((w) => w.serials[0])).toEqual(["SN-077", "SN-078"]);
    // The refused record's intent names the last request it was sent in.
    expect(journaled.get(77)!.idempotency_key).toBe(writes.filter((w) => w.serials.length === 1 && w.serials[0] === "SN-077")[0]!.key);
  });

  it("isolates several refused records, two of them side by side, and writes every other record exactly once", async () => {
    const all = serialsOf(200);
    for (const serial of ["SN-003", "SN-060", "SN-061", "SN-149", "SN-199"]) refused.add(serial);
    const { result, outcomes, emitted, logs } = await runSlice({ serials: all });

    expect(result.kind).toBe("continue");
    expect(emitted).toBe(200);
    expect(tally(outcomes)).toEqual({ updated: 195, failed: 5 });
    expect([...outcomes.values()].filter((o) => o.action === "failed").map((o) => [o.serial, o.http_status])).toEqual(
      expect.arrayContaining([...refused].map((s) => [s, 422])),
    );
    expect(all.filter((s) => !refused.has(s)).every((s) => applied.get(s) === 1)).toBe(true);
    expect(logs.every((line) => /^WARN Batch of \d+ rejected \(422\): split into \d+ \+ \d+$/.test(line))).toBe(true);
  });

  it("fails every record of a batch refused whole on its own, and the job goes on with the other batches", async () => {
    for (const serial of ["SN-004", "SN-005", "SN-006", "SN-007"]) refused.add(serial);
    const { result, outcomes, writes } = await runSlice({ serials: serialsOf(20), maxRecords: 4, concurrency: 1 });

    expect(result.kind).toBe("continue");
    expect(tally(outcomes)).toEqual({ updated: 16, failed: 4 });
    // 5 batches, and 4 → 2+2, each 2 → 1+1 for the refused one (a batch waiting at the client goes before the
    // halves of the one just refused, so the order of the halves' requests varies; their sizes do not).
    expect(writes.map((w) => w.serials.length).sort()).toEqual([1, 1, 1, 1, 2, 2, 4, 4, 4, 4, 4]);
  });

  it("splits a batch answered 404 only when the connection lists 404 as refusing one record; else the job fails", async () => {
    refused.add("SN-005");
    batchStatus = (serials) => (serials.some((s) => refused.has(s)) ? 404 : 200);
    const contractError = await runSlice({ serials: serialsOf(8), maxRecords: 4, concurrency: 1 });
    expect(contractError.result).toMatchObject({ kind: "failed", error: { code: "not_found", http_status: 404 } });

    // A fresh destination: the failed job had written its first batch.
    stored.clear();
    scope = `job_${++tests}`;
    const listed = await runSlice({ serials: serialsOf(8), maxRecords: 4, concurrency: 1, recordRefusals: [404, 422] });
    expect(listed.result.kind).toBe("continue");
    expect(tally(listed.outcomes)).toEqual({ updated: 7, failed: 1 });
    expect(listed.outcomes.get("SN-005")).toMatchObject({ action: "failed", http_status: 404, hint: refusedAloneHint(404) });
  });

  it("fails the job when record after record is refused on its own and none accepted: the request is at fault", async () => {
    batchStatus = () => 400;
    const { result, outcomes, writes } = await runSlice({ serials: serialsOf(30), maxRecords: 10, concurrency: 1 });

    expect(result).toMatchObject({ kind: "failed", error: { code: "bad_request", http_status: 400 } });
    if (result.kind !== "failed") return;
    expect(result.error.message).toMatch(/^25 records in a row were refused one by one and none accepted; the job stopped\. Last: POST .* returned 400/);
    expect(result.error.hint).toBe("Check the update URL template, headers and the payload the mapping builds");
    // The failure streak's limit, and at most the one record already handed to the client beside the 25th: the
    // other records stay queued for the next run.
    expect(Object.keys(tally(outcomes))).toEqual(["failed"]);
    expect(tally(outcomes).failed).toBeGreaterThanOrEqual(25);
    expect(tally(outcomes).failed).toBeLessThanOrEqual(26);
    expect(writes.length).toBeLessThan(2 * 30);
  });
});

describe("a bulk batch answered with a server error", () => {
  it("keeps today's behaviour: retried, then every record of it fails as transient, without a split", async () => {
    batchStatus = (serials) => (serials.includes("SN-005") ? 503 : 200);
    const { result, outcomes, logs, writes } = await runSlice({ serials: serialsOf(20), maxRecords: 10 });

    expect(result.kind).toBe("continue");
    expect(tally(outcomes)).toEqual({ updated: 10, failed: 10 });
    expect(outcomes.get("SN-009")).toMatchObject({ action: "failed", transient: true, http_status: 503 });
    expect(logs).toEqual([]);
    // Retried once with the same key: two sends of the failing batch, one of the other.
    expect(writes.map((w) => w.serials.length)).toEqual([10, 10, 10]);
    expect(writes.filter((w) => w.serials.includes("SN-005")).map((w) => w.key)).toEqual([
      expect.stringMatching(/:bulk-10-/),
      expect.stringMatching(/:bulk-10-/),
    ]);
  });
});

describe("a run interrupted in the middle of a split", () => {
  it("resends each half that was sent before the interruption with the same key, and ends with exact outcomes", async () => {
    const serials = serialsOf(8);
    refused.add("SN-002");
    const interrupt = new AbortController();
    // The interruption falls while the first half is with the destination.
    onWrite = () => {
      if (server.requests.filter((r) => r.method === "POST" && ours(r.headers)).length === 2) interrupt.abort(new Error("interrupted"));
    };
    const first = await runSlice({ serials, maxRecords: 8, concurrency: 1, signal: interrupt.signal });
    expect(first.result.kind).toBe("canceled");
    expect(first.emitted).toBe(0);
    expect(first.writes.map((w) => w.serials.length)).toEqual([8, 4]);
    const sentHalf = first.writes[1]!;
    const intents = new Map(journaled);

    onWrite = () => undefined;
    server.requests.length = 0;
    const second = await runSlice({ serials, maxRecords: 8, concurrency: 1, intents });

    expect(second.result.kind).toBe("continue");
    expect(tally(second.outcomes)).toEqual({ updated: 7, failed: 1 });
    expect(second.outcomes.get("SN-002")).toMatchObject({ action: "failed", http_status: 422 });
    // The halves go back as the batches they were, under their keys; the sent one first, as before.
    expect(second.writes[0]).toEqual(sentHalf);
    expect(second.writes.some((w) => w.key === first.writes[0]!.key)).toBe(false);
    const secondHalf = second.writes.find((w) => w.serials.includes("SN-004"))!;
    expect(secondHalf.serials).toEqual(["SN-004", "SN-005", "SN-006", "SN-007"]);
    expect(secondHalf.key).toBe(journaled.get(4)!.idempotency_key);
    expect(serials.filter((s) => s !== "SN-002").every((s) => applied.get(s) === 1)).toBe(true);
  });
});

describe("a split past the slice's budget", () => {
  it("leaves the halves journaled under their keys, and the next slice sends them with those keys", async () => {
    const serials = serialsOf(8);
    refused.add("SN-002");
    const posts = () => server.requests.filter((r) => r.method === "POST" && ours(r.headers)).length;
    const first = await runSlice({ serials, maxRecords: 8, concurrency: 1, shouldStop: () => posts() >= 1 });
    expect(first.result.kind).toBe("continue");
    expect(first.emitted).toBe(0);
    expect(first.logs).toEqual(["WARN Batch of 8 rejected (422): split into 4 + 4"]);
    expect(first.writes.map((w) => w.serials.length)).toEqual([8]);
    const halfKeys = [0, 4].map((ord) => journaled.get(ord)!.idempotency_key);
    expect(halfKeys.every((key) => key!.startsWith(`${first.writes[0]!.key}:split-4-`))).toBe(true);

    server.requests.length = 0;
    const second = await runSlice({ serials, maxRecords: 8, concurrency: 1, intents: new Map(journaled) });
    expect(tally(second.outcomes)).toEqual({ updated: 7, failed: 1 });
    expect(second.writes.filter((w) => w.serials.length === 4).map((w) => w.key)).toEqual(halfKeys);
  });
});

describe("bulk writes within a slice", () => {
  it("send a batch as soon as its records are decided, while the rest of the slice is still being looked up", async () => {
    const { outcomes } = await runSlice({ serials: serialsOf(200), concurrency: 2 });

    expect(tally(outcomes)).toEqual({ updated: 200 });
    const order = server.requests.map((r) => r.method);
    expect(order.indexOf("POST")).toBeGreaterThan(-1);
    expect(order.indexOf("POST")).toBeLessThan(order.lastIndexOf("GET"));
  });
});

describe("the bulk writer", () => {
  const update = compileUpdateContract(
    UpdateContractSchema.parse({ method: "POST", url_template: "https://fleet.example/bulk", bulk: { max_records: 2, records_key: "devices" } }),
  );
  const pendingWrite = (ord: number): PendingWrite => ({
    record: { ord, serial: `SN-${ord}`, source: { status: "new" }, intent: null },
    decision: { serial: `SN-${ord}`, kind: "write", changes: [], payload: { status: "new" } },
    destination: { serial: `SN-${ord}` },
  });
  const deferred = <T>() => {
    let resolve!: (value: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    return { promise, resolve };
  };
  // Every callback and promise reaction queued so far has run.
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  function writer(overrides: Partial<BulkWriteContext> = {}) {
    const answers: Array<{ serials: string[]; answer: (status: number) => void }> = [];
    const commits: string[][] = [];
    const emitted: string[] = [];
    const context: BulkWriteContext = {
      mode: "live",
      mapping: makeMapping([{ source: "status", destination: "status" }]),
      update,
      keyScope: "job_1",
      concurrency: 1,
      signal: new AbortController().signal,
      excerpt: (text) => text,
      send: (request) => {
        const answer = deferred<HttpResponse>();
        answers.push({ serials: request.serials, answer: (status) => answer.resolve({ status } as HttpResponse) });
        return answer.promise;
      },
      journal: (entries) => void commits.push(entries.map((entry) => entry.record.serial)),
      written: async (record) => void emitted.push(record.serial),
      fromDecision: (record, _decision, action) => void emitted.push(`${record.serial} ${action}`),
      failedBy: (record) => void emitted.push(`${record.serial} failed`),
      failJob: () => undefined,
      refusedStreakLimit: 25,
      log: () => undefined,
      shouldStop: () => false,
      ...overrides,
    };
    const order = Array.from({ length: 10 }, (_, ord) => ord);
    return { bulk: createBulkWriter(context, order), answers, commits, emitted };
  }

  it("hands the client one batch beyond its concurrency, lets lookups run two batches per slot ahead, and journals the next batch while the slots are busy", async () => {
    const { bulk, answers, commits, emitted } = writer();
    const added = [0, 1, 2, 3, 4, 5, 6, 7].map((ord) => {
      const state = { done: false };
      void bulk.add(pendingWrite(ord)).then(() => (state.done = true));
      return state;
    });
    await settle();
    // One batch with the destination and one waiting at the client for its permit (it leaves the moment the first
    // is answered), a third journaled behind them, a fourth formed: its last record waits for room.
    expect(added.map((a) => a.done)).toEqual([true, true, true, true, true, true, true, false]);
    expect(answers.map((a) => a.serials)).toEqual([
      ["SN-0", "SN-1"],
      ["SN-2", "SN-3"],
    ]);
    expect(commits).toEqual([
      ["SN-0", "SN-1"],
      ["SN-2", "SN-3"],
      ["SN-4", "SN-5"],
    ]);

    answers[0]!.answer(200);
    await settle();
    expect(added[7]!.done).toBe(true);
    expect(answers.map((a) => a.serials)).toEqual([
      ["SN-0", "SN-1"],
      ["SN-2", "SN-3"],
      ["SN-4", "SN-5"],
    ]);
    expect(commits).toHaveLength(4);

    const finished = bulk.finish();
    for (const index of [1, 2, 3]) {
      answers[index]!.answer(200);
      await settle();
    }
    await finished;
    expect(emitted).toEqual(["SN-0", "SN-1", "SN-2", "SN-3", "SN-4", "SN-5", "SN-6", "SN-7"]);
  });

  it("sends no batch before a journal that answers a promise has stored it, and journals the batches formed meanwhile in one commit", async () => {
    const stores: Array<() => void> = [];
    const { bulk, answers, commits } = writer({
      journal: (entries) => {
        commits.push(entries.map((entry) => entry.record.serial));
        const stored = deferred<void>();
        stores.push(() => stored.resolve());
        return stored.promise;
      },
    });
    for (const ord of [0, 1, 2, 3, 4, 5]) void bulk.add(pendingWrite(ord));
    await settle();
    expect(answers).toEqual([]);
    expect(commits).toEqual([["SN-0", "SN-1"]]);

    stores[0]!();
    await settle();
    expect(answers.map((a) => a.serials)).toEqual([["SN-0", "SN-1"]]);
    expect(commits).toEqual([
      ["SN-0", "SN-1"],
      ["SN-2", "SN-3", "SN-4", "SN-5"],
    ]);
  });

  it("stores intents and outcomes in a turn of their own, so the batches sent in a turn leave without waiting for a commit", async () => {
    const turns: Array<() => void> = [];
    const nextTurn = () => {
      const ended = deferred<void>();
      turns.push(() => ended.resolve());
      return ended.promise;
    };
    const endTurn = async () => {
      for (const end of turns.splice(0)) end();
      await settle();
    };
    const { bulk, answers, commits, emitted } = writer({ nextTurn });
    for (const ord of [0, 1, 2, 3]) void bulk.add(pendingWrite(ord));
    await settle();
    // Formed in this turn, journaled in the next.
    expect(commits).toEqual([]);
    await endTurn();
    expect(commits).toEqual([["SN-0", "SN-1", "SN-2", "SN-3"]]);
    expect(answers.map((a) => a.serials)).toEqual([
      ["SN-0", "SN-1"],
      ["SN-2", "SN-3"],
    ]);

    // The answered batch's outcomes wait for the next turn.
    answers[0]!.answer(200);
    await settle();
    expect(emitted).toEqual([]);
    await endTurn();
    expect(emitted).toEqual(["SN-0", "SN-1"]);

    const finished = bulk.finish();
    answers[1]!.answer(200);
    await settle();
    await endTurn();
    await finished;
    expect(emitted).toEqual(["SN-0", "SN-1", "SN-2", "SN-3"]);
  });

  it("fails, rather than waiting for ever, when the outcomes of an accepted batch cannot be stored", async () => {
    const { bulk, answers } = writer({
      written: () => Promise.reject(new Error("checkpoint failed")),
    });
    void bulk.add(pendingWrite(0));
    void bulk.add(pendingWrite(1));
    const finished = bulk.finish();
    await settle();
    answers[0]!.answer(200);
    await expect(finished).rejects.toThrow("checkpoint failed");
  });

  it("sends nothing and fails when the journal cannot store the intents", async () => {
    const { bulk, answers, emitted } = writer({
      journal: () => {
        throw new Error("storage unavailable");
      },
    });
    void bulk.add(pendingWrite(0));
    await expect(bulk.add(pendingWrite(1))).rejects.toThrow("storage unavailable");
    await expect(bulk.finish()).rejects.toThrow("storage unavailable");
    expect(answers).toEqual([]);
    expect(emitted).toEqual([]);
  });
});

describe("a bulk answer that takes the batch and lists the records it refused", () => {
  const REFUSED = ["SN-003", "SN-060", "SN-061", "SN-199"];

  it("207 with a result per item: the refused fail with the item's status and message, the rest are written once", async () => {
    for (const serial of REFUSED) refused.add(serial);
    itemAnswer = (serials) => ({
      status: 207,
      body: {
        results: serials.map((serial) => (refused.has(serial) ? { serial, status: 404, error: { message: `no device ${serial}` } } : { serial, status: 200 })),
      },
    });
    const { outcomes, logs, writes } = await runSlice({
      serials: serialsOf(200),
      itemResults: { path: "results", serial_path: "serial", status_path: "status", message_path: "error.message" },
    });

    expect(tally(outcomes)).toEqual({ updated: 196, failed: 4 });
    expect(outcomes.get("SN-060")).toMatchObject({
      action: "failed",
      http_status: 404,
      error: "The destination accepted the bulk request (HTTP 207) but refused this record (404): no device SN-060",
      hint: expect.stringMatching(/listed this record as refused/),
      journaled: true,
    });
    expect(outcomes.get("SN-059")).toMatchObject({ action: "updated", http_status: 207 });
    expect(
      serialsOf(200)
        .filter((serial) => !refused.has(serial))
        .every((serial) => applied.get(serial) === 1),
    ).toBe(true);
    // Nothing split, nothing sent twice.
    expect(writes).toHaveLength(4);
    expect(logs).toEqual([]);
  });

  it("200 with a list of errors by position, and items naming no record of the request are counted in the log", async () => {
    for (const serial of REFUSED) refused.add(serial);
    itemAnswer = (serials) => ({
      status: 200,
      body: {
        errors: [
          ...serials.flatMap((serial, index) => (refused.has(serial) ? [{ index, reason: "site is required" }] : [])),
          ...(serials.includes("SN-000") ? [{ index: 999, reason: "out of range" }] : []),
        ],
      },
    });
    const { outcomes, logs } = await runSlice({ serials: serialsOf(200), itemResults: { path: "errors", index_path: "index", message_path: "reason" } });

    expect(tally(outcomes)).toEqual({ updated: 196, failed: 4 });
    expect(outcomes.get("SN-199")).toMatchObject({
      action: "failed",
      http_status: 200,
      error: expect.stringMatching(/refused this record: site is required$/),
    });
    expect(logs).toEqual(["WARN 1 item of a bulk answer (HTTP 200) named no record of its request and was ignored"]);
  });

  it("an answer that cannot be read where the contract says counts none of its batch as written", async () => {
    itemAnswer = () => ({ status: 200, body: "<html>ok</html>" });
    const { outcomes } = await runSlice({ serials: serialsOf(60), itemResults: { path: "results", serial_path: "serial" } });

    expect(tally(outcomes)).toEqual({ failed: 60 });
    expect(outcomes.get("SN-010")!.error).toMatch(
      /^The destination accepted the bulk request \(HTTP 200\) but its answer could not be read for refused records/,
    );
  });
});
