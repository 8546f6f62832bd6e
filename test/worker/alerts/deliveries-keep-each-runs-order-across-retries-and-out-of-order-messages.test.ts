import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import entry from "../../../worker/index";
import { ALERT_QUEUE_NAME, type AlertQueueMessage } from "../../../worker/alerts/alert-queue";
import type { EventPayload } from "../../../worker/alerts/payload";
import { createChannel, deliveries, eventIdsOf, makeReceiver, playRun, poke, received, resetAlerts, unique, waitFor } from "./support";

beforeEach(resetAlerts);

const order = (bodies: EventPayload[], runId: string) => bodies.filter((b) => b.run_id === runId).map((b) => `${b.type} ${b.status}`);
const RUN_ORDER = [
  "run.status_changed pending",
  "run.status_changed running",
  "job.status_changed running",
  "job.status_changed completed",
  "run.status_changed completed",
];

describe("per-channel ordering", () => {
  it("holds each run's later changes back while its earlier one is retried, and lets other runs go on", async () => {
    const receiver = await makeReceiver([{ status: 500, body: "busy" }]);
    const hook = await createChannel({ kind: "webhook", url: receiver.url });
    const first = await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    const second = await playRun({ jobs: [{ connection: { id: unique("conn"), name: "B" }, status: "completed" }] });
    await poke();

    // One run's head failed and waits for its retry; the other run is not held back by it.
    const failing = await waitFor(
      "one failed attempt and the other run delivered",
      () => deliveries(`?channel_id=${hook.id}`),
      (d) => d.some((x) => x.last_status_code === 500) && d.filter((x) => x.status === "succeeded").length === 5,
    );
    const head = failing.find((d) => d.last_status_code === 500)!;
    expect(head.status).toBe("pending");
    expect(failing.filter((d) => d.run_id === head.run_id).every((d) => d.status === "pending")).toBe(true);

    // Due now rather than after its 5 s backoff: the ledger only schedules retries in the future.
    await env.LEDGER.prepare("UPDATE deliveries SET next_attempt_at = ?1 WHERE id = ?2").bind(Date.now(), head.id).run();
    await poke();
    const requests = await waitFor(
      "all eleven requests",
      () => received(receiver.name),
      (r) => r.length >= 11,
    );
    expect(requests[0]!.headers["webhook-id"]).toBe(head.webhook_id);
    const successes = requests.slice(1).map((r) => JSON.parse(r.body) as EventPayload);
    expect(order(successes, first.runId)).toEqual(RUN_ORDER);
    expect(order(successes, second.runId)).toEqual(RUN_ORDER);
    // The retried delivery went out before anything later of its run.
    const retriedAt = requests.findIndex((r, i) => i > 0 && r.headers["webhook-id"] === head.webhook_id);
    const laterOfRun = requests.findIndex(
      (r, i) => i > 0 && r.headers["webhook-id"] !== head.webhook_id && (JSON.parse(r.body) as EventPayload).run_id === head.run_id,
    );
    expect(retriedAt).toBeGreaterThan(0);
    expect(laterOfRun).toBeGreaterThan(retriedAt);
  }, 30_000);

  it("delivers a run's changes in order when only its last event's message arrives", async () => {
    const receiver = await makeReceiver();
    await createChannel({ kind: "webhook", url: receiver.url });
    const { runId } = await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    const ids = await eventIdsOf(runId);
    expect(ids).toHaveLength(5);

    // The consumer gets the run's last event alone (its earlier messages lost or still in the queue).
    const batch = createMessageBatch<AlertQueueMessage>(ALERT_QUEUE_NAME, [{ id: "m-last", timestamp: Date.now(), attempts: 1, body: { event_id: ids[4]! } }]);
    const ctx = createExecutionContext();
    await entry.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m-last"]);

    const requests = await waitFor(
      "five deliveries",
      () => received(receiver.name),
      (r) => r.length >= 5,
    );
    expect(
      order(
        requests.map((r) => JSON.parse(r.body) as EventPayload),
        runId,
      ),
    ).toEqual(RUN_ORDER);
  });
});
