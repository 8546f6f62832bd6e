import { env } from "cloudflare:test";
import { afterEach, expect, it, vi } from "vitest";
import { enqueueDueTicks, type TickSender } from "../../../worker/schedule/enqueue-due-ticks";
import type { ScheduleTickMessage } from "../../../worker/schedule/tick-messages";
import { captureScheduleQueue, leapDaySchedule, leapDayTick, makeScheduledFleet, runsOfConnection, ticksAt } from "../factories/schedule";

afterEach(() => {
  vi.restoreAllMocks();
});

it("enqueues at the next minute the ticks a dying cron did not, and every connection starts once", { timeout: 60_000 }, async () => {
  const queue = captureScheduleQueue();
  const fleet = await makeScheduledFleet(30, 30, leapDaySchedule(4));
  const due = leapDayTick(4);

  // A cron paging 10 connections at a time dies at its second page's send, after enqueueing the first page.
  const sent: ScheduleTickMessage[] = [];
  let sends = 0;
  const dying: TickSender = {
    async sendBatch(messages) {
      if (++sends > 1) throw new Error("the cron died here");
      for (const message of messages) sent.push(message.body);
    },
  };
  await expect(enqueueDueTicks(env.LEDGER, dying, due, 10)).rejects.toThrow("the cron died here");
  const firstPart = sent.flatMap((message) => message.ticks).filter((tick) => fleet.connectionIds.includes(tick.connectionId));
  expect(firstPart.length).toBeGreaterThan(0);
  expect(firstPart.length).toBeLessThan(30);
  await queue.deliver(sent);
  expect((await ticksAt(fleet.connectionIds, due)).size).toBe(firstPart.length);

  // The next minute's trigger finds the rest unrecorded and enqueues exactly those.
  await queue.fire(due + 60_000);
  const rest = queue.pending.flatMap((message) => message.ticks).filter((tick) => fleet.connectionIds.includes(tick.connectionId));
  expect(rest).toHaveLength(30 - firstPart.length);
  expect(new Set(rest.map((tick) => tick.dueAt))).toEqual(new Set([due]));
  await queue.deliver();

  const ticks = await ticksAt(fleet.connectionIds, due);
  expect(ticks.size).toBe(30);
  expect([...ticks.values()].every((tick) => tick.outcome === "started")).toBe(true);
  for (const connectionId of fleet.connectionIds) expect(await runsOfConnection(connectionId)).toHaveLength(1);
});
