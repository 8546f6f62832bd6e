import { beforeEach, describe, expect, it } from "vitest";
import type { EventPayload } from "../../../worker/alerts/payload";
import { makeConnection, makeCredential } from "../factories";
import { createChannel, deliveries, makeReceiver, playRun, poke, received, resetAlerts, unique, verifySignature, waitFor } from "./support";

beforeEach(resetAlerts);

describe("a custom webhook", () => {
  it("receives a signed POST for every status change of a run, in the order they happened", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url });
    expect(hook.secret).toMatch(/^whsec_/);

    const connection = { id: unique("conn"), name: "Salesforce → Snowflake" };
    const { runId, jobIds } = await playRun({ jobs: [{ connection, status: "failed" }] });
    await poke();

    const requests = await waitFor(
      "five deliveries",
      () => received(receiver.name),
      (r) => r.length >= 5,
    );
    expect(requests).toHaveLength(5);
    const bodies = requests.map((r) => JSON.parse(r.body) as EventPayload);
    expect(bodies.map((b) => `${b.type} ${b.previous_status ?? "-"}→${b.status}`)).toEqual([
      "run.status_changed -→pending",
      "run.status_changed pending→running",
      "job.status_changed pending→running",
      "job.status_changed running→failed",
      "run.status_changed running→failed",
    ]);
    for (const request of requests) {
      expect(await verifySignature(hook.secret!, request.headers, request.body)).toBe(true);
      expect(request.headers["content-type"]).toBe("application/json");
    }

    const failure = bodies[3]!;
    expect(failure).toMatchObject({
      connection_name: "Salesforce → Snowflake",
      job_id: jobIds[0],
      run_id: runId,
      status: "failed",
      previous_status: "running",
      error_summary: "Stream Account: 401 Unauthorized — token expired — Check the credential.",
      job_url: `http://localhost:8787/jobs/${jobIds[0]}`,
      error: { code: "http_401", http_status: 401 },
    });
    expect(failure.started_at).not.toBeNull();
    expect(failure.failed_at).not.toBeNull();
    expect(failure.counters).toMatchObject({ processed: 0, records_synced: 0, records_failed: 0 });
    expect(bodies[4]!.counters).toMatchObject({ connections_total: 1, connections_failed: 1 });

    const log = await deliveries(`?channel_id=${hook.id}`);
    expect(log).toHaveLength(5);
    for (const delivery of log) {
      expect(delivery).toMatchObject({ status: "succeeded", attempt_count: 1, last_status_code: 200, channel_name: hook.name });
      expect(delivery.attempts).toEqual([expect.objectContaining({ attempt: 1, status_code: 200, response_excerpt: "ok", error: null })]);
    }
    expect(new Set(requests.map((r) => r.headers["webhook-id"]))).toEqual(new Set(log.map((d) => d.webhook_id)));
  });

  it("hears only the event types it chose", async () => {
    const receiver = await makeReceiver();
    await createChannel({ kind: "webhook", url: receiver.url, event_types: ["run.status_changed"] });
    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    await poke();
    const requests = await waitFor(
      "three run events",
      () => received(receiver.name),
      (r) => r.length >= 3,
    );
    await waitFor(
      "the outbox to drain",
      () => deliveries("?status=pending"),
      (d) => d.length === 0,
    );
    expect(requests.map((r) => (JSON.parse(r.body) as EventPayload).type)).toEqual(["run.status_changed", "run.status_changed", "run.status_changed"]);
  });

  it("scoped to connections hears only the runs and jobs of those connections", async () => {
    const credential = await makeCredential();
    const [watched, other] = [await makeConnection(credential), await makeConnection(credential)];
    const scopedReceiver = await makeReceiver();
    const everyReceiver = await makeReceiver();
    const scoped = await createChannel({ kind: "webhook", url: scopedReceiver.url, connection_ids: [watched.id] });
    expect(scoped.config.connection_ids).toEqual([watched.id]);
    await createChannel({ kind: "webhook", url: everyReceiver.url });

    const ofOther = await playRun({ jobs: [{ connection: other, status: "completed" }] });
    const ofWatched = await playRun({ jobs: [{ connection: watched, status: "failed" }] });
    await poke();
    await waitFor(
      "ten deliveries to the unscoped hook",
      () => received(everyReceiver.name),
      (r) => r.length >= 10,
    );
    await waitFor(
      "the outbox to drain",
      () => deliveries("?status=pending"),
      (d) => d.length === 0,
    );
    const bodies = (await received(scopedReceiver.name)).map((r) => JSON.parse(r.body) as EventPayload);
    expect(bodies).toHaveLength(5);
    expect(new Set(bodies.map((b) => b.run_id))).toEqual(new Set([ofWatched.runId]));
    expect(bodies.some((b) => b.run_id === ofOther.runId)).toBe(false);
  });
});
