import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import entry from "../../../worker/index";
import { ALERT_QUEUE_NAME, type AlertQueueMessage } from "../../../worker/alerts/alert-queue";
import { createChannel, deliveries, eventIdsOf, makeReceiver, playRun, poke, received, resetAlerts, settle, unique, waitFor } from "./support";

beforeEach(resetAlerts);

async function consume(ids: string[], prefix: string) {
  const batch = createMessageBatch<AlertQueueMessage>(
    ALERT_QUEUE_NAME,
    ids.map((id, i) => ({ id: `${prefix}-${i}`, timestamp: Date.now(), attempts: 2, body: { event_id: id } })),
  );
  const ctx = createExecutionContext();
  await entry.queue(batch, env);
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
});
