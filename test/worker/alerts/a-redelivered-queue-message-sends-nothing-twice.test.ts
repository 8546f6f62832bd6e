import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import entry from "../../../worker/index";
import type { Env } from "../../../worker/env";
import { countingEnv } from "../factories/schedule";
import { ALERT_QUEUE_NAME, type AlertQueueMessage } from "../../../worker/alerts/alert-queue";
import { createChannel, deliveries, eventIdsOf, makeReceiver, playRun, poke, received, resetAlerts, settle, unique, waitFor } from "./support";

beforeEach(resetAlerts);

async function consume(ids: string[], prefix: string, consumerEnv: Env = env) {
  const batch = createMessageBatch<AlertQueueMessage>(
    ALERT_QUEUE_NAME,
    ids.map((id, i) => ({ id: `${prefix}-${i}`, timestamp: Date.now(), attempts: 2, body: { event_id: id } })),
  );
  const ctx = createExecutionContext();
  await entry.queue(batch, consumerEnv);
  return getQueueResult(batch, ctx);
}

describe("queue redelivery", () => {
  it("fans each event out once when two consumers get the same messages at the same time, and once more changes nothing", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url });
    const { runId } = await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    const ids = await eventIdsOf(runId);

    const [one, two] = await Promise.all([consume(ids, "a"), consume([...ids].reverse(), "b")]);
    expect(one.retryMessages).toEqual([]);
    expect(two.retryMessages).toEqual([]);
    await waitFor(
      "five deliveries",
      () => received(receiver.name),
      (r) => r.length >= 5,
    );
    await settle();

    // The queue delivers the whole batch again after the work was done (at least once).
    const again = await consume(ids, "c");
    expect(again.explicitAcks).toHaveLength(5);
    await poke();
    await settle();

    const log = await deliveries(`?channel_id=${hook.id}`);
    expect(log).toHaveLength(5);
    expect(new Set(log.map((d) => d.event_id))).toEqual(new Set(ids));
    expect(log.every((d) => d.status === "succeeded" && d.attempt_count === 1)).toBe(true);
    const requests = await received(receiver.name);
    expect(requests).toHaveLength(5);
    expect(new Set(requests.map((r) => r.headers["webhook-id"])).size).toBe(5);
  });

  it("fans a batch of ten runs' fifty events out in a few D1 round trips, not a few per event", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { runId } = await playRun({ jobs: [{ connection: { id: unique("conn"), name: `C${i}` }, status: i % 3 === 0 ? "failed" : "completed" }] });
      ids.push(...(await eventIdsOf(runId)));
    }
    expect(ids).toHaveLength(50);

    const { env: counted, tally } = countingEnv();
    const result = await consume(ids, "w", counted);
    expect(result.retryMessages).toEqual([]);
    // The events and the channels in two reads, then per wave (a run's first events, its second, ...) one
    // read of every context and one commit: 12 round trips where one event at a time took two each.
    expect(tally.roundTrips).toBeLessThanOrEqual(12);
    const fanned = await env.LEDGER.prepare(
      "SELECT (SELECT COUNT(*) FROM events) AS left_over, (SELECT COUNT(*) FROM deliveries WHERE channel_id = ?1) AS deliveries",
    )
      .bind(hook.id)
      .first<{ left_over: number; deliveries: number }>();
    expect(fanned).toEqual({ left_over: 0, deliveries: 50 });
    // The outbox is empty now, yet a new event's position comes after every position its deliveries keep.
    const next = await playRun({ jobs: [{ connection: { id: unique("conn"), name: "Next" }, status: "completed" }] });
    const positions = await env.LEDGER.prepare(
      "SELECT (SELECT MIN(rowid) FROM events WHERE run_id = ?1) AS next_min, (SELECT MAX(event_seq) FROM deliveries) AS kept_max",
    )
      .bind(next.runId)
      .first<{ next_min: number; kept_max: number }>();
    expect(positions!.next_min).toBeGreaterThan(positions!.kept_max);
    await waitFor(
      "fifty deliveries",
      () => received(receiver.name),
      (r) => r.length >= 50,
    );
  });
});
