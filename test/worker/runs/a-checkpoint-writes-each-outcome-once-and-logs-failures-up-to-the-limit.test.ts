import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addTraffic, checkInvariant, emptyCounters } from "../../../worker/engine/counters";
import type { PlanEntry } from "../../../worker/engine/plan-drift";
import { createRedactor } from "../../../worker/engine/redactor";
import type { OutcomeRecord } from "../../../worker/ledger/run-writes";
import { CoordinatorStore } from "../../../worker/runs/coordinator-store";
import type { RequestRecord } from "../../../worker/runs/request-record";
import { outcomeBatch, type OutcomeBatchOptions } from "../../../worker/runs/outcome-batch";
import type { RunCoordinator } from "../../../worker/runs/run-coordinator";
import { coordinatorStub } from "../factories/runs";
import { makeOutcome } from "./job-factories";

const options = (overrides: Partial<OutcomeBatchOptions> = {}): OutcomeBatchOptions => ({
  jobId: "job_1",
  at: 9_000,
  failureLogs: 0,
  failureLogLimit: 50,
  debug: false,
  ...overrides,
});

describe("a checkpoint's batch of outcomes", () => {
  it("writes one outcome row per record, its error with the hint, or its reason", () => {
    const batch = outcomeBatch(
      [
        makeOutcome({ serial: "A", action: "updated", http_status: 200, changes: [{ field: "firmware", before: "1", after: "2", written: true }] as never }),
        makeOutcome({ serial: "B", action: "failed", http_status: 422, error: "HTTP 422", hint: "Check the payload" }),
        makeOutcome({ serial: "C", action: "skipped_rule", reason: "rule: never" }),
      ],
      emptyCounters(),
      options(),
    );
    expect(batch.outcomes).toEqual([
      {
        job_id: "job_1",
        serial: "A",
        action: "updated",
        changes: JSON.stringify([{ field: "firmware", before: "1", after: "2", written: true }]),
        differences: null,
        http_status: 200,
        payload_excerpt: null,
        error: null,
        at: 9_000,
      },
      {
        job_id: "job_1",
        serial: "B",
        action: "failed",
        changes: null,
        differences: null,
        http_status: 422,
        payload_excerpt: null,
        error: "HTTP 422 — Hint: Check the payload",
        at: 9_000,
      },
      {
        job_id: "job_1",
        serial: "C",
        action: "skipped_rule",
        changes: null,
        differences: null,
        http_status: null,
        payload_excerpt: null,
        error: "rule: never",
        at: 9_000,
      },
    ]);
  });

  it("writes a verify mismatch's differences as JSON text, and counts it", () => {
    const differences = [{ field: "name", expected: "Pump 7", found: "PUMP 7", side: "stored" as const }];
    const batch = outcomeBatch([makeOutcome({ serial: "A", action: "verify_mismatch", http_status: 200, differences })], emptyCounters(), options());
    expect(batch.outcomes[0]).toMatchObject({ action: "verify_mismatch", differences: JSON.stringify(differences) });
    expect(batch.counted).toMatchObject({ processed: 1, verify_mismatch: 1 });
  });

  it("holds back a write awaiting its read-back (no row, no count) and logs a mismatch with its hint", () => {
    const hint = "the destination accepted the write but stored a different value for name";
    const batch = outcomeBatch(
      [makeOutcome({ serial: "A", awaiting_readback: { name: "Pump 7" } }), makeOutcome({ serial: "B", action: "verify_mismatch", reason: hint })],
      emptyCounters(),
      options(),
    );
    expect(batch.outcomes.map((o) => o.serial)).toEqual(["B"]);
    expect(batch.counted).toMatchObject({ processed: 1, updated: 0, verify_mismatch: 1 });
    expect(batch.logs).toEqual([{ level: "WARN", message: `B verify mismatch: ${hint}`, serial: "B" }]);
  });

  it("counts each outcome once with the engine's counters, on top of the bytes already counted", () => {
    const batch = outcomeBatch(
      [makeOutcome({ action: "updated" }), makeOutcome({ action: "updated" }), makeOutcome({ action: "missing_destination" })],
      addTraffic(emptyCounters(), 300, 900),
      options(),
    );
    expect(batch.counted).toEqual({ ...emptyCounters(), processed: 3, updated: 2, missing_destination: 1, bytes_sent: 300, bytes_received: 900 });
    expect(checkInvariant(batch.counted)).toEqual({ ok: true });
  });

  it("logs failed records one by one up to the limit, then says once that it stops", () => {
    const failed = ["A", "B", "C"].map((serial) => makeOutcome({ serial, action: "failed", error: "HTTP 500" }));
    const batch = outcomeBatch(failed, emptyCounters(), options({ failureLogs: 1, failureLogLimit: 2 }));
    expect(batch.logs).toEqual([
      { level: "ERROR", message: "A failed: HTTP 500", serial: "A" },
      {
        level: "WARN",
        message: "Further failed or mismatched records are not logged one by one: filter the Records tab by Failed or Verify Mismatch",
        serial: null,
      },
    ]);
    expect(batch.failureLogs).toBe(4);
    expect(outcomeBatch(failed, emptyCounters(), options({ failureLogs: 4, failureLogLimit: 2 })).logs).toEqual([]);
  });

  it("logs a write confirmed after a restart, and every outcome of a debug connection", () => {
    const batch = outcomeBatch([makeOutcome({ serial: "A", confirmed: true, http_status: 200 })], emptyCounters(), options({ debug: true }));
    expect(batch.logs).toEqual([
      { level: "INFO", message: "A: write confirmed after restart (the destination holds the values sent before the interruption)", serial: "A" },
      { level: "DEBUG", message: "A: updated (HTTP 200)", serial: "A" },
    ]);
  });
});

// The coordinator's storage: a checkpoint's records leave the queue with their write intents, and their outcomes and
// planned writes reach the outbox in order, masked, in one statement per table whatever the batch's size, holding
// exactly what record-by-record calls hold.
const SECRET = "s3cret-token-42";
let objects = 0;

// A store over a fresh coordinator object's own storage, driven by hand (no run, no alarm), counting its statements;
// what the test returns is read out of the object.
async function inStore<T>(test: (opened: { store: CoordinatorStore; statements: string[] }) => T): Promise<T> {
  objects += 1;
  return runInDurableObject(coordinatorStub(`run_store_${objects}`), async (_instance: RunCoordinator, state) => {
    try {
      return test(openStore(state));
    } finally {
      // No plan is left behind for the object to resume as a run.
      await state.storage.deleteAll();
    }
  });
}

function openStore(state: DurableObjectState) {
  const statements: string[] = [];
  const sql = {
    exec: (query: string, ...bindings: unknown[]) => {
      statements.push(query);
      return state.storage.sql.exec(query, ...bindings);
    },
  } as unknown as SqlStorage;
  const store = new CoordinatorStore(
    sql,
    (fn) => state.storage.transactionSync(fn),
    createRedactor(() => [SECRET]),
  );
  store.initialise({
    run_id: "run_1",
    credential_id: "cred_1",
    credential_name: "Fleet",
    type: "full",
    serial: null,
    reset: false,
    started_at: 0,
    jobs: [{ job_id: "job_1", connection_id: "conn_1", connection_name: "Fleet", position: 0, mode: "dry", created_at: 0 }],
  });
  return { store, statements };
}

const outcome = (serial: string, overrides: Partial<OutcomeRecord> = {}): OutcomeRecord => ({
  job_id: "job_1",
  serial,
  action: "would_update",
  changes: JSON.stringify([{ field: "status", before: "offline", after: "online" }]),
  differences: null,
  http_status: null,
  payload_excerpt: '{"status":"online"}',
  error: null,
  at: 1_000,
  ...overrides,
});

const plan = (serial: string, body = '{"status":"online"}'): PlanEntry => ({
  serial,
  method: "PUT",
  url: `https://fleet.test/${serial}`,
  body,
  headers: { "content-type": "application/json" },
  seen: { status: "offline" },
  payload: JSON.parse(body) as Record<string, unknown>,
});

const serials = Array.from({ length: 250 }, (_, i) => `SN-${String(i).padStart(4, "0")}`);

function fill(store: CoordinatorStore): void {
  store.enqueue(
    "job_1",
    serials.map((serial, i) => ({ serial, record_json: i % 7 === 0 ? null : JSON.stringify({ serial, status: "online" }) })),
  );
  store.recordIntents(
    "job_1",
    [3, 4].map((ord) => ({ ord, serial: serials[ord]!, idempotency_key: null, payload_hash: "h", changes: [], attempted_at: 5 })),
  );
}

const outcomes = [
  ...serials.slice(0, 200).map((serial) => outcome(serial)),
  outcome("SN-0200", { action: "failed", error: `HTTP 401: token ${SECRET} refused`, payload_excerpt: `{"token":"${SECRET}"}` }),
  outcome("SN-0201", { action: "failed", error: "HTTP 503" }),
];
const plans = [...serials.slice(0, 100).map((serial) => plan(serial)), plan("SN-0100", `{"auth":"${SECRET}"}`)];

const request = (serial: string, overrides: Partial<RequestRecord> = {}): RequestRecord => ({
  job_id: "job_1",
  at: 1_000,
  phase: "update",
  method: "PUT",
  url: `https://fleet.test/${serial}`,
  request_headers: { "content-type": "application/json" },
  request_body: '{"status":"online"}',
  status: 200,
  duration_ms: 10,
  attempt: 1,
  retry_reason: null,
  concurrency: 6,
  error: null,
  response_headers: { "content-type": "application/json" },
  response_body: "{}",
  serials: [serial],
  truncated: false,
  ...overrides,
});
const requests = [
  ...serials.slice(0, 201).map((serial) => request(serial)),
  request("SN-0201", { status: 401, response_headers: { "www-authenticate": `Bearer ${SECRET}` }, response_body: `{"echo":"${SECRET}"}` }),
];

describe("a checkpoint's records in the coordinator's storage", () => {
  it("queue in order, numbered on from the queue's end, each with its source record", () =>
    inStore(({ store }) => {
      fill(store);
      store.enqueue("job_1", [{ serial: "SN-LAST", record_json: "{}" }]);
      const queued = store.queued("job_1", 1_000);
      expect(queued.map((row) => row.serial)).toEqual([...serials, "SN-LAST"]);
      expect(queued.map((row) => row.ord)).toEqual(Array.from({ length: serials.length + 1 }, (_, i) => i));
      expect(queued[0]!.source).toBeNull();
      expect(queued[1]!.source).toEqual({ serial: serials[1], status: "online" });
      expect(queued.filter((row) => row.intent !== null).map((row) => row.ord)).toEqual([3, 4]);
      expect(queued[3]!.intent).toEqual({ ord: 3, serial: serials[3], idempotency_key: null, payload_hash: "h", changes: [], attempted_at: 5 });
      expect(store.queued("job_2", 10)).toEqual([]);
    }));

  it("leave the queue with their write intents and hold in the outbox what record-by-record calls hold", async () => {
    const leaving = serials.slice(0, 200).map((_, ord) => ({ ord, journaled: ord === 3 }));
    const after = (store: CoordinatorStore) => ({
      queued: store.queued("job_1", 1_000).map((row) => [row.ord, row.intent?.ord ?? null]),
      latestIntentAt: store.latestIntentAt("job_1"),
      failed: store.failedSerials("job_1"),
      outbox: store.outbox(1_000),
    });
    const batched = await inStore(({ store, statements }) => {
      fill(store);
      statements.length = 0;
      store.atomically(() => {
        store.dequeueMany("job_1", leaving);
        store.appendOutcomes(outcomes);
        store.appendPlans("job_1", plans);
      });
      const made = statements.length;
      return { ...after(store), statements: made };
    });
    const single = await inStore(({ store }) => {
      fill(store);
      store.atomically(() => {
        for (const { ord, journaled } of leaving) store.dequeue("job_1", ord, journaled);
        for (const o of outcomes) store.appendOutcome(o);
        for (const p of plans) store.appendPlan("job_1", p);
      });
      return after(store);
    });

    // One DELETE for the queue and one for the intents, one INSERT each for outcomes, failed serials and plans.
    expect(batched.statements).toBe(5);
    // The same rows, held as one outbox row per call rather than per record: only the row ids differ.
    const contents = ({ outbox: { lastOutcomeId: _o, lastPlanId: _p, ...box }, ...rest }: ReturnType<typeof after>) => ({ ...rest, outbox: box });
    const { statements: _, ...held } = batched;
    expect(contents(held)).toEqual(contents(single));
    expect([held.outbox.lastOutcomeId, held.outbox.lastPlanId]).toEqual([1, 1]);
    // The intent of ord 4 stays with its record, still queued; ord 3's went with its record.
    expect(batched.queued.slice(0, 1)).toEqual([[200, null]]);
    expect(batched.latestIntentAt).toBe(5);
    expect(batched.failed).toEqual(["SN-0200", "SN-0201"]);
    const box = batched.outbox;
    expect(box.outcomes.map((o) => o.serial)).toEqual(outcomes.map((o) => o.serial));
    expect(box.plans.map((p) => p.serial)).toEqual(plans.map((p) => p.serial));
    expect(box.plans.map((p) => JSON.parse(p.text) as PlanEntry)).toEqual(JSON.parse(JSON.stringify(plans).replaceAll(SECRET, "[redacted]")));
    expect(JSON.stringify(box)).not.toContain(SECRET);
    expect(box.outcomes.at(-2)).toMatchObject({ error: "HTTP 401: token [redacted] refused", payload_excerpt: '{"token":"[redacted]"}' });
  });

  it("leave the outbox a flush pass of whole checkpoints at a time, at least one, and rows stored one per record too", async () => {
    const passes = await inStore(({ store: before }) => {
      // An object from before checkpoints were kept as one row each: its outbox tables as they were, a record per row.
      const sql = before.sqlStorage;
      sql.exec("DROP TABLE outbox_outcomes");
      sql.exec("DROP TABLE outbox_plans");
      sql.exec("DROP TABLE outbox_requests");
      sql.exec("CREATE TABLE outbox_outcomes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)");
      sql.exec("CREATE TABLE outbox_plans (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id TEXT NOT NULL, body TEXT NOT NULL)");
      sql.exec("CREATE TABLE outbox_requests (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)");
      sql.exec("INSERT INTO outbox_outcomes (body) VALUES (?1)", JSON.stringify(outcome("SN-OLD")));
      sql.exec("INSERT INTO outbox_plans (job_id, body) VALUES ('job_1', ?1)", JSON.stringify(plan("SN-OLD")));
      sql.exec("INSERT INTO outbox_requests (body) VALUES (?1)", JSON.stringify({ ...request("SN-OLD"), seq: 1 }));
      sql.exec("INSERT INTO request_seq (job_id, seq) VALUES ('job_1', 1)");
      // Loaded again after a deploy.
      const store = new CoordinatorStore(
        sql,
        (fn) => before.atomically(fn),
        createRedactor(() => [SECRET]),
      );
      store.appendOutcomes(outcomes.slice(0, 150));
      store.appendPlans("job_1", plans.slice(0, 150));
      store.appendOutcomes(outcomes.slice(150));
      store.appendPlans("job_1", plans.slice(150));
      store.appendRequests("job_1", requests.slice(0, 150));
      store.appendRequests("job_1", requests.slice(150));
      const sizes = { all: store.outboxSize(), outcomes: store.outboxOutcomes() };
      const taken: Array<{ outcomes: string[]; plans: string[]; requests: Array<[number, string]> }> = [];
      let secretShown = false;
      for (;;) {
        const box = store.outbox(100);
        secretShown ||= JSON.stringify(box.requests).includes(SECRET);
        if (box.outcomes.length + box.plans.length + box.requests.length === 0) break;
        taken.push({
          outcomes: box.outcomes.map((o) => o.serial),
          plans: box.plans.map((p) => p.serial),
          requests: box.requests.map((r): [number, string] => [r.seq, r.serials[0]!]),
        });
        store.dropFlushed(box);
      }
      return { sizes, taken, secretShown };
    });
    expect(passes.sizes).toEqual({ all: 1 + outcomes.length + 1 + plans.length + 1 + requests.length, outcomes: 1 + outcomes.length });
    // A checkpoint row larger than the pass still goes whole; the pass stops before a row that would pass the limit.
    expect(passes.taken.map((pass) => [pass.outcomes.length, pass.plans.length, pass.requests.length])).toEqual([
      [1, 1, 1],
      [150, 101, 150],
      [52, 0, 52],
    ]);
    // Numbered on after the old row, in order, with the echoed secret masked in the rows of a checkpoint too.
    expect(passes.taken.flatMap((pass) => pass.requests)).toEqual([[1, "SN-OLD"], ...requests.map((r, i): [number, string] => [i + 2, r.serials[0]!])]);
    expect(passes.secretShown).toBe(false);
    expect(passes.taken.flatMap((pass) => pass.outcomes)).toEqual(["SN-OLD", ...outcomes.map((o) => o.serial)]);
    expect(passes.taken.flatMap((pass) => pass.plans)).toEqual(["SN-OLD", ...plans.map((p) => p.serial)]);
  });

  it("write nothing for an empty checkpoint", async () => {
    const statements = await inStore(({ store, statements }) => {
      statements.length = 0;
      store.dequeueMany("job_1", []);
      store.appendOutcomes([]);
      store.appendPlans("job_1", []);
      store.enqueue("job_1", []);
      return statements;
    });
    expect(statements).toEqual([]);
  });
});
