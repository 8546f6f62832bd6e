import { env } from "cloudflare:test";
import { afterEach, expect, it, vi } from "vitest";
import { deleteConnection } from "../../../worker/ledger/connections";
import { changeConnection, makeConnection, makeCredential } from "../factories";
import { captureScheduleQueue, leapDaySchedule, leapDayTick, runsOfConnection, ticksAt } from "../factories/schedule";

afterEach(() => {
  vi.restoreAllMocks();
});

it("records a tick as skipped, with the reason, when its connection was disabled, deleted or rescheduled after the enqueue", async () => {
  const queue = captureScheduleQueue();
  const credential = await makeCredential();
  const schedule = leapDaySchedule(5);
  const kept = await makeConnection(credential, { schedule, position: 1 });
  const disabled = await makeConnection(credential, { schedule, position: 2 });
  const deleted = await makeConnection(credential, { schedule, position: 3 });
  const rescheduled = await makeConnection(credential, { schedule, position: 4 });
  const due = leapDayTick(5);

  await queue.fire(due);
  await changeConnection(disabled.id, { enabled: false });
  await deleteConnection(env.LEDGER, deleted.id);
  await changeConnection(rescheduled.id, { schedule: leapDaySchedule(6) });
  await queue.deliver();

  const [run] = await runsOfConnection(kept.id);
  expect(run?.connection_count).toBe(1);
  const ticks = await ticksAt([kept.id, disabled.id, deleted.id, rescheduled.id], due);
  expect(ticks.get(kept.id)).toEqual({ outcome: "started", run_id: run!.id, reason: null });
  expect(ticks.get(disabled.id)).toEqual({ outcome: "skipped", run_id: null, reason: "connection disabled before its tick was taken from the queue" });
  expect(ticks.get(deleted.id)).toEqual({ outcome: "skipped", run_id: null, reason: "connection deleted before its tick was taken from the queue" });
  expect(ticks.get(rescheduled.id)).toEqual({
    outcome: "skipped",
    run_id: null,
    reason: `schedule changed to "${leapDaySchedule(6)}" before its tick was taken from the queue`,
  });
  expect(await runsOfConnection(disabled.id)).toEqual([]);
});
