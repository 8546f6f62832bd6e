import { afterEach, describe, expect, it } from "vitest";
import { createRedactor } from "../../../worker/engine/redactor";
import type { PlanEntry } from "../../../worker/engine/plan-drift";
import type { OutcomeRecord } from "../../../worker/ledger/run-writes";
import { CoordinatorStore } from "../../../worker/runs/coordinator-store";
import { nodeSqlStorage } from "../factories/node-sql-storage";

// The coordinator's storage (here over Node's SQLite): a checkpoint's records leave the queue with their write
// intents, and their outcomes and planned writes reach the outbox in order, masked, in one statement per table
// whatever the batch's size, holding exactly what record-by-record calls hold.

const SECRET = "s3cret-token-42";
let opened: Array<ReturnType<typeof nodeSqlStorage>> = [];
afterEach(() => {
  for (const storage of opened) storage.close();
  opened = [];
});

function openStore() {
  const storage = nodeSqlStorage();
  opened.push(storage);
  const statements: string[] = [];
  const sql = {
    exec: (query: string, ...bindings: unknown[]) => {
      statements.push(query);
      return storage.sql.exec(query, ...bindings);
    },
  } as unknown as SqlStorage;
  const store = new CoordinatorStore(
    sql,
    storage.transaction,
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

describe("a checkpoint's records in the coordinator's storage", () => {
  it("queue in order, numbered on from the queue's end, each with its source record", () => {
    const { store } = openStore();
    fill(store);
    store.enqueue("job_1", [{ serial: "SN-LAST", record_json: "{}" }]);
    const queued = store.queued("job_1", 1_000);
    expect(queued.map((row) => row.serial)).toEqual([...serials, "SN-LAST"]);
    expect(queued.map((row) => row.ord)).toEqual(Array.from({ length: serials.length + 1 }, (_, i) => i));
    expect(queued[0]!.record_json).toBeNull();
    expect(JSON.parse(queued[1]!.record_json!)).toEqual({ serial: serials[1], status: "online" });
    expect(queued.filter((row) => row.intent !== null).map((row) => row.ord)).toEqual([3, 4]);
  });

  it("leave the queue with their write intents and hold in the outbox what record-by-record calls hold", () => {
    const batched = openStore();
    const single = openStore();
    for (const { store } of [batched, single]) fill(store);
    const leaving = serials.slice(0, 200).map((_, ord) => ({ ord, journaled: ord === 3 }));

    batched.statements.length = 0;
    batched.store.atomically(() => {
      batched.store.dequeueMany("job_1", leaving);
      batched.store.appendOutcomes(outcomes);
      batched.store.appendPlans("job_1", plans);
    });
    // One DELETE for the queue and one for the intents, one INSERT each for outcomes, failed serials and plans.
    expect(batched.statements).toHaveLength(5);

    single.store.atomically(() => {
      for (const { ord, journaled } of leaving) single.store.dequeue("job_1", ord, journaled);
      for (const o of outcomes) single.store.appendOutcome(o);
      for (const p of plans) single.store.appendPlan("job_1", p);
    });

    for (const { store } of [batched, single]) {
      expect(store.queued("job_1", 1_000).map((row) => row.ord)).toEqual(serials.slice(200).map((_, i) => 200 + i));
      // The intent of ord 4 stays: its record is still queued.
      expect(store.latestIntentAt("job_1")).toBe(5);
      expect(store.failedSerials("job_1")).toEqual(["SN-0200", "SN-0201"]);
    }
    const box = batched.store.outbox(1_000);
    expect(box.outcomes).toEqual(single.store.outbox(1_000).outcomes);
    expect(box.plans).toEqual(single.store.outbox(1_000).plans);
    expect(box.outcomes.map((o) => o.serial)).toEqual(outcomes.map((o) => o.serial));
    expect(box.plans.map((p) => p.entry.serial)).toEqual(plans.map((p) => p.serial));
    expect(JSON.stringify(box)).not.toContain(SECRET);
    expect(box.outcomes.at(-2)).toMatchObject({ error: "HTTP 401: token [redacted] refused", payload_excerpt: '{"token":"[redacted]"}' });
    expect(box.plans.at(-1)!.entry).toMatchObject({ body: '{"auth":"[redacted]"}' });
  });

  it("write nothing for an empty checkpoint", () => {
    const { store, statements } = openStore();
    statements.length = 0;
    store.dequeueMany("job_1", []);
    store.appendOutcomes([]);
    store.appendPlans("job_1", []);
    store.enqueue("job_1", []);
    expect(statements).toEqual([]);
  });
});
