import { createScheduledController, env } from "cloudflare:test";
import { expect, it, vi } from "vitest";
import worker from "../../../worker/index";
import { makeConnection, makeCredential } from "../factories";
import { leapDaySchedule, leapDayTick, ticksAt } from "../factories/schedule";

it("starts a due connection through the real queue: producer binding, queue, consumer", async () => {
  const connection = await makeConnection(await makeCredential(), { schedule: leapDaySchedule(8) });
  const due = leapDayTick(8);

  await worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: due }), env);

  // The queue delivers on its own schedule (max_batch_timeout): wait for the consumer's record, not for a time.
  const tick = await vi.waitUntil(async () => (await ticksAt([connection.id], due)).get(connection.id), { timeout: 20_000, interval: 100 });
  expect(tick).toMatchObject({ outcome: "started" });
});
