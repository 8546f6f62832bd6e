import { env, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { listScheduleTicks } from "../../../worker/ledger/schedule-ticks";
import type { CoordinatorStore, RunPlan } from "../../../worker/runs/coordinator-store";
import type { RunCoordinator } from "../../../worker/runs/run-coordinator";
import { coordinatorFor, kickRuns } from "../../../worker/runs/run-service";
import { makeConnection, makeCredential } from "../factories";
import { captureScheduleQueue, deliverBatch, leapDaySchedule, leapDayTick, runsOfConnection, type ScheduleQueue } from "../factories/schedule";

let queue: ScheduleQueue;
beforeEach(() => {
  queue = captureScheduleQueue();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("a schedule tick delivered more than once", () => {
  it("starts one run when the queue redelivers it", async () => {
    const connection = await makeConnection(await makeCredential(), { schedule: leapDaySchedule(1) });
    await queue.fire(leapDayTick(1));
    const sent = queue.pending.splice(0);
    expect(sent.flatMap((message) => message.ticks)).toContainEqual({ connectionId: connection.id, dueAt: leapDayTick(1) });

    await queue.deliver(sent);
    await queue.deliver(sent, { attempts: 2 });

    const runs = await runsOfConnection(connection.id);
    expect(runs).toHaveLength(1);
    expect(await listScheduleTicks(env.LEDGER, connection.id)).toMatchObject([{ due_at: leapDayTick(1), outcome: "started", run_id: runs[0]!.id }]);
  });

  it("starts one run when two consumers take it at once", async () => {
    const connection = await makeConnection(await makeCredential(), { schedule: leapDaySchedule(2) });
    await queue.fire(leapDayTick(2));
    const sent = queue.pending.splice(0);

    await Promise.all([deliverBatch(sent), deliverBatch(sent), deliverBatch(sent)]);

    const runs = await runsOfConnection(connection.id);
    expect(runs).toHaveLength(1);
    expect(await listScheduleTicks(env.LEDGER, connection.id)).toMatchObject([{ due_at: leapDayTick(2), outcome: "started", run_id: runs[0]!.id }]);
  });

  it("is not enqueued again once recorded", async () => {
    const connection = await makeConnection(await makeCredential(), { schedule: leapDaySchedule(3) });
    await queue.fire(leapDayTick(3));
    await queue.deliver();
    await queue.fire(leapDayTick(3) + 60_000);
    expect(queue.pending.flatMap((message) => message.ticks).filter((tick) => tick.connectionId === connection.id)).toEqual([]);
  });

  it("is started by the minute trigger when its coordinator's start was lost", async () => {
    const connection = await makeConnection(await makeCredential(), { schedule: leapDaySchedule(4) });
    await queue.fire(leapDayTick(4));
    const heldPlan = (runId: string) =>
      runInDurableObject(coordinatorFor(env, runId), (coordinator: RunCoordinator) => (coordinator as unknown as { store: CoordinatorStore }).store.plan());
    // The coordinators' class as the objects run it (RPC calls the class's method): the start never arrives.
    const prototype = await runInDurableObject(
      coordinatorFor(env, "prototype-probe"),
      (coordinator: RunCoordinator) => Object.getPrototypeOf(coordinator) as object,
    );
    const original = Object.getOwnPropertyDescriptor(prototype, "startPromoted")!;
    Object.defineProperty(prototype, "startPromoted", { configurable: true, writable: true, value: () => Promise.resolve() });
    await queue.deliver().finally(() => Object.defineProperty(prototype, "startPromoted", original));

    const [run] = await runsOfConnection(connection.id);
    expect(run).toMatchObject({ status: "running" });
    expect(await heldPlan(run!.id)).toBeNull();
    await kickRuns(env);
    expect(await heldPlan(run!.id)).toMatchObject<Partial<RunPlan>>({ run_id: run!.id, jobs: [expect.objectContaining({ connection_id: connection.id })] });
  });
});
