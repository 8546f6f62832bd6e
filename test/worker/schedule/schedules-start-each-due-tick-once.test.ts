import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { listScheduleTicks } from "../../../worker/ledger/schedule-ticks";
import { dueTicks } from "../../../worker/schedule/due";
import { makeConnection, makeCredential, makeRun } from "../factories";
import { captureScheduleQueue, type ScheduleQueue } from "../factories/schedule";

const MINUTE = 60_000;

// Each test works on its own day, so the ticks of other tests' connections never line up with its own.
let day = 0;
const freshDay = () => Date.UTC(2031, 5, 1) + ++day * 24 * 60 * MINUTE;
const at = (base: number, hour: number, minute: number) => base + (hour * 60 + minute) * MINUTE;

let queue: ScheduleQueue;
beforeEach(() => {
  queue = captureScheduleQueue();
});
afterEach(() => {
  vi.restoreAllMocks();
});

// The minute trigger enqueues the due ticks; the queue then delivers them to the consumer, which starts the runs.
async function fire(scheduledTime: number): Promise<void> {
  await queue.fire(scheduledTime);
  await queue.deliver();
}

interface ScheduledRun {
  id: string;
  type: string;
  mode: string;
  trigger: string;
  requested_by: string;
  credential_id: string;
}

async function runsOf(connectionId: string): Promise<ScheduledRun[]> {
  const { results } = await env.LEDGER.prepare(
    `SELECT r.id, r.type, r.mode, r."trigger" AS "trigger", r.requested_by, r.credential_id
       FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.connection_id = ?1 ORDER BY r.id`,
  )
    .bind(connectionId)
    .all<ScheduledRun>();
  return results;
}

async function jobsOf(runId: string): Promise<Array<{ connection_id: string; mode: string }>> {
  const { results } = await env.LEDGER.prepare("SELECT connection_id, mode FROM jobs WHERE run_id = ?1 ORDER BY position")
    .bind(runId)
    .all<{ connection_id: string; mode: string }>();
  return results;
}

describe("due ticks", () => {
  it("lists the ticks of a UTC cron inside the catch-up window, oldest first", () => {
    const base = freshDay();
    expect(dueTicks("*/2 * * * *", at(base, 12, 4))).toEqual([at(base, 12, 0), at(base, 12, 2), at(base, 12, 4)]);
    expect(dueTicks("30 9 * * *", at(base, 9, 30))).toEqual([at(base, 9, 30)]);
    expect(dueTicks("30 9 * * *", at(base, 9, 36))).toEqual([]);
    expect(dueTicks("not a cron", at(base, 9, 30))).toBeNull();
  });
});

describe("the minute trigger", () => {
  it("starts a full scheduled run in the connection's dry-run setting", async () => {
    const base = freshDay();
    const credential = await makeCredential();
    const connection = await makeConnection(credential, { schedule: "*/15 * * * *", dry_run: true });

    await fire(at(base, 10, 15));
    const runs = await runsOf(connection.id);
    expect(runs).toEqual([{ id: runs[0]!.id, type: "full", mode: "dry", trigger: "schedule", requested_by: "scheduler", credential_id: credential.id }]);
    expect(await listScheduleTicks(env.LEDGER, connection.id)).toMatchObject([
      { due_at: at(base, 10, 15), outcome: "started", run_id: runs[0]!.id, reason: null },
    ]);
  });

  it("starts one run per credential for connections due together, in execution order and each in its own mode", async () => {
    const base = freshDay();
    const credential = await makeCredential();
    const live = await makeConnection(credential, { schedule: "0 * * * *", dry_run: false, position: 2 });
    const dry = await makeConnection(credential, { schedule: "0 */2 * * *", dry_run: true, position: 1 });
    const unscheduled = await makeConnection(credential, { position: 3 });
    const disabled = await makeConnection(credential, { schedule: "0 * * * *", enabled: false, position: 4 });
    const elsewhere = await makeConnection(await makeCredential(), { schedule: "0 * * * *" });

    await fire(at(base, 12, 0));
    const [run] = await runsOf(live.id);
    expect(await runsOf(dry.id)).toEqual([run]);
    expect(run!.mode).toBe("live");
    expect(await jobsOf(run!.id)).toEqual([
      { connection_id: dry.id, mode: "dry" },
      { connection_id: live.id, mode: "live" },
    ]);
    expect(await runsOf(unscheduled.id)).toEqual([]);
    expect(await runsOf(disabled.id)).toEqual([]);
    expect((await runsOf(elsewhere.id)).map((r) => r.credential_id)).not.toContain(credential.id);
    expect(await runsOf(elsewhere.id)).toHaveLength(1);
  });

  it("starts a due tick once when the trigger fires twice", async () => {
    const base = freshDay();
    const connection = await makeConnection(await makeCredential(), { schedule: "5 8 * * *" });
    await fire(at(base, 8, 5));
    await fire(at(base, 8, 5));
    await Promise.all([fire(at(base, 8, 5)), fire(at(base, 8, 5))]);
    expect(await runsOf(connection.id)).toHaveLength(1);
    expect(await listScheduleTicks(env.LEDGER, connection.id)).toMatchObject([{ due_at: at(base, 8, 5), outcome: "started" }]);
  });

  it("catches up a tick whose trigger fired late, within five minutes and only once", async () => {
    const base = freshDay();
    const credential = await makeCredential();
    const late = await makeConnection(credential, { schedule: "0 12 * * *" });
    await fire(at(base, 12, 3));
    await fire(at(base, 12, 4));
    expect(await runsOf(late.id)).toHaveLength(1);
    expect(await listScheduleTicks(env.LEDGER, late.id)).toMatchObject([{ due_at: at(base, 12, 0), outcome: "started" }]);

    const tooLate = await makeConnection(await makeCredential(), { schedule: "0 12 * * *" });
    await fire(at(base + 24 * 60 * MINUTE, 12, 6));
    expect(await runsOf(tooLate.id)).toEqual([]);
    expect(await listScheduleTicks(env.LEDGER, tooLate.id)).toEqual([]);
  });

  it("starts one run for several missed ticks and records the others as skipped", async () => {
    const base = freshDay();
    const connection = await makeConnection(await makeCredential(), { schedule: "* * * * *" });
    await fire(at(base, 7, 3));
    expect(await runsOf(connection.id)).toHaveLength(1);
    const ticks = await listScheduleTicks(env.LEDGER, connection.id);
    expect(ticks.map((tick) => [tick.due_at, tick.outcome])).toEqual([
      [at(base, 6, 59), "skipped"],
      [at(base, 7, 0), "skipped"],
      [at(base, 7, 1), "skipped"],
      [at(base, 7, 2), "skipped"],
      [at(base, 7, 3), "started"],
    ]);
    expect(ticks[0]!.reason).toContain("missed");
  });

  it("skips a tick whose connection is already pending or running, saying why", async () => {
    const base = freshDay();
    const credential = await makeCredential();
    const running = await makeConnection(credential, { schedule: "30 * * * *", position: 1 });
    const pending = await makeConnection(credential, { schedule: "30 * * * *", position: 2 });
    const busyRun = await makeRun({ credential_id: credential.id, status: "running", created_at: Date.now() }, [
      { connection_id: running.id, position: 1, status: "running" },
      { connection_id: pending.id, position: 2, status: "pending" },
    ]);

    await fire(at(base, 9, 30));

    expect((await runsOf(running.id)).map((run) => run.id)).toEqual([busyRun.id]);
    expect((await runsOf(pending.id)).map((run) => run.id)).toEqual([busyRun.id]);
    expect(await listScheduleTicks(env.LEDGER, running.id)).toMatchObject([
      { due_at: at(base, 9, 30), outcome: "skipped", run_id: busyRun.id, reason: `connection already running in run ${busyRun.id}` },
    ]);
    expect(await listScheduleTicks(env.LEDGER, pending.id)).toMatchObject([
      { due_at: at(base, 9, 30), outcome: "skipped", run_id: busyRun.id, reason: `connection already pending in run ${busyRun.id}` },
    ]);
  });

  it("ignores ticks from before the connection's last change", async () => {
    const base = freshDay();
    const connection = await makeConnection(await makeCredential(), {
      schedule: "0 6 * * *",
      updated_at: at(base, 6, 1),
    });
    await fire(at(base, 6, 2));
    expect(await runsOf(connection.id)).toEqual([]);
  });
});
