import { createExecutionContext, createMessageBatch, createScheduledController, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import { vi } from "vitest";
import worker from "../../../worker/index";
import { QUEUE_NAMES } from "../../../worker/queues";
import type { RunCoordinator } from "../../../worker/runs/run-coordinator";
import { coordinatorFor } from "../../../worker/runs/run-service";
import { DEMO_CONNECTIONS } from "../../../worker/sandbox/demo-connections";
import type { ScheduleTickMessage } from "../../../worker/schedule/tick-messages";
import type { Env } from "../../../worker/env";
import { makeCredential, type CredentialFixture } from "./ledger";

// The schedule queue as the tests drive it: the minute trigger runs for real and its sendBatch calls are
// kept instead of reaching the queue, then handed to the worker's queue handler in batches of up to 100, as
// the queue delivers them. (One test lets the real queue deliver, to prove the wiring.)

export interface ScheduleQueue {
  /** Messages sent and not yet delivered, in send order. */
  readonly pending: ScheduleTickMessage[];
  /** Runs the minute trigger at `scheduledTime`; the ticks it enqueues wait in `pending`. */
  fire(scheduledTime: number): Promise<void>;
  /** Delivers `messages` (default: everything pending) to the consumer in batches of up to 100. */
  deliver(messages?: ScheduleTickMessage[], options?: DeliverOptions): Promise<void>;
  /** Every sendBatch call from the `call`-th on (1-based) throws, as a cron dying there would stop. */
  failSendsFrom(call: number): void;
  /** Number of sendBatch calls made so far. */
  readonly sends: number;
}

export interface DeliverOptions {
  attempts?: number;
  // The env the consumer sees, e.g. with a counting LEDGER.
  env?: Env;
}

export function captureScheduleQueue(): ScheduleQueue {
  const pending: ScheduleTickMessage[] = [];
  let failFrom = Number.POSITIVE_INFINITY;
  let sends = 0;
  vi.spyOn(env.SCHEDULE_QUEUE, "sendBatch").mockImplementation(async (messages) => {
    sends += 1;
    if (sends >= failFrom) throw new Error("the cron died here");
    for (const message of messages) pending.push(message.body as ScheduleTickMessage);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0, oldestMessageTimestamp: new Date(0) } } } as unknown as QueueSendBatchResponse;
  });
  return {
    pending,
    get sends() {
      return sends;
    },
    async fire(scheduledTime) {
      await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime }), env);
    },
    async deliver(messages = pending.splice(0), options = {}) {
      for (let start = 0; start < messages.length; start += 100) {
        await deliverBatch(messages.slice(start, start + 100), options);
      }
    },
    failSendsFrom(call) {
      failFrom = call;
    },
  };
}

export async function deliverBatch(bodies: ScheduleTickMessage[], options: DeliverOptions = {}): Promise<void> {
  const batch = createMessageBatch<unknown>(
    QUEUE_NAMES.schedule,
    bodies.map((body) => ({ id: crypto.randomUUID(), timestamp: Date.now(), attempts: options.attempts ?? 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, options.env ?? env);
  const result = await getQueueResult(batch, ctx);
  if (!result.ackAll) throw new Error(`the schedule consumer did not ack its batch: ${JSON.stringify(result)}`);
}

export interface ScheduledFleet {
  credentials: CredentialFixture[];
  connectionIds: string[];
}

/**
 * `count` enabled scheduled connections spread over `credentials` credentials, written in one statement (a
 * fleet of thousands through the ledger's one-by-one insert would make the test slow, not more real).
 */
export async function makeScheduledFleet(count: number, credentials: number, schedule: string): Promise<ScheduledFleet> {
  const creds: CredentialFixture[] = [];
  for (let i = 0; i < credentials; i++) creds.push(await makeCredential());
  const rows = Array.from({ length: count }, (_, i) => {
    const credential = creds[i % credentials]!;
    return { id: `${credential.id}_conn_${String(i).padStart(6, "0")}`, credential_id: credential.id, position: Math.floor(i / credentials) + 1 };
  });
  await env.LEDGER.prepare(
    `INSERT INTO connections (id, credential_id, name, position, enabled, dry_run, debug, schedule, config_json, version, created_at, updated_at)
     SELECT json_extract(value, '$.id'), json_extract(value, '$.credential_id'), json_extract(value, '$.id'), json_extract(value, '$.position'),
            1, 1, 0, ?2, ?3, 1, 0, 0
       FROM json_each(?1)`,
  )
    .bind(JSON.stringify(rows), schedule, JSON.stringify(DEMO_CONNECTIONS[0]!.config))
    .run();
  return { credentials: creds, connectionIds: rows.map((row) => row.id) };
}

export interface D1Tally {
  roundTrips: number;
  statements: number;
}

/** The env with a LEDGER that counts its calls: a batch of n statements is one round trip and n statements. */
export function countingEnv(): { env: Env; tally: D1Tally } {
  const tally: D1Tally = { roundTrips: 0, statements: 0 };
  const ledger = new Proxy(env.LEDGER, {
    get(target, property) {
      if (property === "batch") {
        return (statements: D1PreparedStatement[]) => {
          tally.roundTrips += 1;
          tally.statements += statements.length;
          return target.batch(statements);
        };
      }
      if (property === "prepare") {
        return (sql: string) => countStatement(target.prepare(sql), tally);
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { env: { ...env, LEDGER: ledger }, tally };
}

/**
 * Counts the D1 round trips of every run coordinator from its first start on: the start methods of the class
 * the objects run (RPC calls the class's method) give each object a counting LEDGER before they run.
 */
export async function countCoordinatorReads(): Promise<{ tally: D1Tally; restore: () => void }> {
  const { env: counted, tally } = countingEnv();
  const prototype = await runInDurableObject(
    coordinatorFor(env, "prototype-probe"),
    (coordinator: RunCoordinator) => Object.getPrototypeOf(coordinator) as object,
  );
  const originals = new Map<string, PropertyDescriptor>();
  for (const name of ["start", "startPromoted"]) {
    const original = Object.getOwnPropertyDescriptor(prototype, name);
    if (original === undefined) continue;
    originals.set(name, original);
    const method = original.value as (...args: unknown[]) => unknown;
    Object.defineProperty(prototype, name, {
      configurable: true,
      writable: true,
      value(this: object, ...args: unknown[]) {
        Object.defineProperty(this, "env", { value: counted, configurable: true, writable: true });
        return method.apply(this, args);
      },
    });
  }
  return { tally, restore: () => originals.forEach((original, name) => Object.defineProperty(prototype, name, original)) };
}

// Wrapped in place, not proxied: D1's batch() needs its own statement objects.
function countStatement(statement: D1PreparedStatement, tally: D1Tally): D1PreparedStatement {
  const target = statement as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ["run", "all", "first", "raw"]) {
    const original = target[method]!.bind(statement);
    target[method] = (...args: unknown[]) => {
      tally.roundTrips += 1;
      tally.statements += 1;
      return original(...args);
    };
  }
  const bind = statement.bind.bind(statement);
  target.bind = (...values: unknown[]) => countStatement(bind(...values), tally);
  return statement;
}

// A schedule that fires once a year at most (29 February, at `hour`:00 UTC), so the connections of one test
// are never due in another test's minute, nor in a test that fires the minute trigger at the real time.
export const leapDaySchedule = (hour: number) => `0 ${hour} 29 2 *`;
export const leapDayTick = (hour: number, year = 2032) => Date.UTC(year, 1, 29, hour, 0);

export interface ConnectionRun {
  id: string;
  status: string;
  connection_count: number;
}

/** The runs that have a job for the connection, oldest first. */
export async function runsOfConnection(connectionId: string): Promise<ConnectionRun[]> {
  const { results } = await env.LEDGER.prepare(
    `SELECT r.id, r.status, r.connection_count FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.connection_id = ?1 ORDER BY r.id`,
  )
    .bind(connectionId)
    .all<ConnectionRun>();
  return results;
}

/** Per connection, its recorded ticks at `dueAt` (connection_id, outcome, run_id, reason). */
export async function ticksAt(
  connectionIds: readonly string[],
  dueAt: number,
): Promise<Map<string, { outcome: string; run_id: string | null; reason: string | null }>> {
  const { results } = await env.LEDGER.prepare(
    `SELECT connection_id, outcome, run_id, reason FROM schedule_ticks WHERE connection_id IN (SELECT value FROM json_each(?1)) AND due_at = ?2`,
  )
    .bind(JSON.stringify(connectionIds), dueAt)
    .all<{ connection_id: string; outcome: string; run_id: string | null; reason: string | null }>();
  return new Map(results.map(({ connection_id, ...tick }) => [connection_id, tick]));
}
