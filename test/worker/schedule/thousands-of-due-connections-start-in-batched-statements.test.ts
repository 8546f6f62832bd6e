import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, expect, it, vi } from "vitest";
import type { AlertQueueMessage } from "../../../worker/alerts/alert-queue";
import { archiveDay } from "../../../worker/archive/archive-keys";
import { getRunRow, listRunJobRows } from "../../../worker/ledger/run-writes";
import type { CoordinatorStore } from "../../../worker/runs/coordinator-store";
import type { RunCoordinator } from "../../../worker/runs/run-coordinator";
import { coordinatorFor } from "../../../worker/runs/run-service";
import { makeRun, watchOutbox } from "../factories";
import {
  captureScheduleQueue,
  countCoordinatorReads,
  countingEnv,
  leapDaySchedule,
  leapDayTick,
  makeScheduledFleet,
  runsOfConnection,
  ticksAt,
} from "../factories/schedule";

afterEach(() => {
  vi.restoreAllMocks();
});

it("starts 3,000 connections due in the same minute, one run per credential, in a few statements per consumer batch", { timeout: 120_000 }, async () => {
  const queue = captureScheduleQueue();
  // 40 credentials of 75 connections: the cron's 1,000-connection pages end inside a credential.
  const fleet = await makeScheduledFleet(3_000, 40, leapDaySchedule(7));
  const busy = fleet.credentials[0]!;
  const busyRun = await makeRun({ credential_id: busy.id, status: "running", created_at: Date.now() }, [
    { connection_id: `${busy.id}_other`, status: "running" },
  ]);
  const due = leapDayTick(7);
  const outbox = await watchOutbox();

  await queue.fire(due);
  const batches = Math.ceil(queue.pending.length / 100);
  const alertSends = vi.spyOn(env.ALERT_QUEUE, "sendBatch");
  const { env: counted, tally } = countingEnv();
  const coordinators = await countCoordinatorReads();
  await queue.deliver(undefined, { env: counted }).finally(coordinators.restore);

  const ticks = await ticksAt(fleet.connectionIds, due);
  expect(ticks.size).toBe(3_000);
  expect([...ticks.values()].filter((tick) => tick.outcome !== "started")).toEqual([]);
  // Reads in one batch, every write in another (the new runs' events go on the alerts queue without being read
  // back): not a round trip per tick or per run.
  expect(tally.roundTrips).toBeLessThanOrEqual(2 * batches);
  expect(tally.statements).toBeLessThanOrEqual(13 * batches);
  // The consumer hands each promoted run's coordinator the rows it just wrote: a start reads nothing back.
  console.log(`coordinator D1 round trips for ${fleet.credentials.length - 1} starts: ${coordinators.tally.roundTrips}`);
  expect(coordinators.tally.roundTrips).toBe(0);

  for (const credential of fleet.credentials) {
    const runIds = new Set(fleet.connectionIds.filter((id) => id.startsWith(`${credential.id}_`)).map((id) => ticks.get(id)!.run_id));
    expect(runIds.size).toBe(1);
  }
  // A credential with a run already going queues the new one as pending, as any run request would.
  const [queued] = await runsOfConnection(`${busy.id}_conn_000000`);
  expect(queued).toMatchObject({ status: "pending", connection_count: 75 });
  expect(queued!.id > busyRun.id).toBe(true);
  const [started] = await runsOfConnection(fleet.connectionIds[1]!);
  expect(started).toMatchObject({ status: "running", connection_count: 75 });
  // The plan the coordinator was handed is the one it would have read from the ledger's rows.
  const run = (await getRunRow(env.LEDGER, started!.id))!;
  const jobs = await listRunJobRows(env.LEDGER, run.id);
  expect(jobs.every((job) => job.archive_day === archiveDay(run.created_at))).toBe(true);
  const held = await runInDurableObject(coordinatorFor(env, run.id), (coordinator: RunCoordinator) =>
    (coordinator as unknown as { store: CoordinatorStore }).store.plan(),
  );
  expect(held).toEqual({
    run_id: run.id,
    credential_id: run.credential_id,
    credential_name: run.credential_name,
    type: "full",
    serial: null,
    reset: false,
    started_at: run.started_at,
    jobs: jobs.map((job) => ({
      job_id: job.id,
      connection_id: job.connection_id,
      connection_name: job.connection_name,
      position: job.position,
      mode: job.mode,
      created_at: job.created_at,
      archive_day: job.archive_day,
    })),
  });
  // The outbox hears of both as of any run: created pending, then (for the one that may start) running.
  // (Both events of a run share a millisecond, so their ids' order is random; the dispatcher reads in insertion order.)
  const statuses = async (runId: string) => (await outbox.eventsOf(runId)).map((event) => `${event.type}:${String(event.payload.status)}`).sort();
  expect(await statuses(queued!.id)).toEqual(["run.status_changed:pending"]);
  expect(await statuses(started!.id)).toEqual(["run.status_changed:pending", "run.status_changed:running"]);
  // Every event the batches wrote went on the alerts queue once, straight from the consumer (no read-back),
  // a run's pending event before its running one.
  const enqueued = alertSends.mock.calls.flatMap(([messages]) => [...messages].map((message) => (message.body as AlertQueueMessage).event_id));
  const runIds = [...new Set([...ticks.values()].map((tick) => tick.run_id!))];
  for (const runId of runIds) await outbox.eventsOf(runId);
  const delivered = (
    await env.LEDGER.prepare(
      "SELECT event_id, run_id, payload_json FROM deliveries WHERE channel_id = ?1 AND run_id IN (SELECT value FROM json_each(?2)) ORDER BY event_seq",
    )
      .bind(outbox.channelId, JSON.stringify(runIds))
      .all<{ event_id: string; run_id: string; payload_json: string }>()
  ).results;
  expect(delivered.length).toBe(2 * runIds.length - 1);
  expect([...enqueued].sort()).toEqual(delivered.map((d) => d.event_id).sort());
  const position = new Map(enqueued.map((id, i) => [id, i]));
  const ofStarted = delivered.filter((d) => d.run_id === started!.id).map((d) => [JSON.parse(d.payload_json).status, position.get(d.event_id)]);
  expect(ofStarted).toEqual([
    ["pending", expect.any(Number)],
    ["running", expect.any(Number)],
  ]);
  expect(ofStarted[0]![1]).toBeLessThan(ofStarted[1]![1]);
});
