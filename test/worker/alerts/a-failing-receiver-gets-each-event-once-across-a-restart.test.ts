import { env, evictDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { EventPayload } from "../../../worker/alerts/payload";
import { alertSenderStub } from "../../../worker/alerts/alert-channel-sender";
import { call } from "../api/config-api";
import { createChannel, deliveries, makeReceiver, playRun, poke, received, resetAlerts, unique, waitFor } from "./support";

beforeEach(resetAlerts);

describe("delivery through failures and a restart", () => {
  it("retries a 500 after 5 s from the stored alarm, even across an eviction, and delivers every event exactly once in order", async () => {
    const receiver = await makeReceiver([{ status: 500, body: "upstream busy" }]);
    const hook = await createChannel({ kind: "webhook", url: receiver.url });
    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "Fleet JSON" }, status: "completed" }] });
    await poke();

    const [first] = await waitFor(
      "the first attempt to fail",
      () => deliveries(),
      (d) => d.some((x) => x.last_status_code === 500),
    );
    expect(first).toBeDefined();
    const failing = (await deliveries()).find((d) => d.last_status_code === 500)!;
    expect(failing.status).toBe("pending");
    expect(Date.parse(failing.next_attempt_at!) - Date.parse(failing.attempts[0]!.attempted_at)).toBeGreaterThanOrEqual(5_000);
    // Later events of the same run wait behind it, so nothing overtakes.
    expect(await received(receiver.name)).toHaveLength(1);

    // The instance goes away with everything in memory; only D1 and the stored alarm remain.
    await evictDurableObject(alertSenderStub(env, hook.id));
    expect(await received(receiver.name)).toHaveLength(1);

    const requests = await waitFor(
      "all six requests",
      () => received(receiver.name),
      (r) => r.length >= 6,
      15_000,
    );
    await waitFor(
      "every delivery to succeed",
      () => deliveries(`?channel_id=${hook.id}`),
      (d) => d.length === 5 && d.every((x) => x.status === "succeeded"),
    );

    const ids = requests.map((r) => r.headers["webhook-id"]);
    expect(ids[0]).toBe(ids[1]);
    expect(requests[0]!.body).toBe(requests[1]!.body);
    expect(new Set(ids).size).toBe(5);
    const successes = requests.filter((_, i) => i > 0);
    expect(new Set(successes.map((r) => r.headers["webhook-id"])).size).toBe(5);
    expect(successes.map((r) => (JSON.parse(r.body) as EventPayload).status)).toEqual(["pending", "running", "running", "completed", "completed"]);

    const retried = (
      await call<{ attempts: Array<{ status_code: number; response_excerpt: string }> }>("GET", `/api/alerts/deliveries/${failing.id}`, { as: "viewer" })
    ).body;
    expect(retried.attempts.map((a) => [a.status_code, a.response_excerpt])).toEqual([
      [500, "upstream busy"],
      [200, "ok"],
    ]);
    // The real 5 s of the schedule pass: the retry comes from the alarm stored before the eviction.
  }, 30_000);

  it("redelivers with the same webhook-id and body, and records the new attempt", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url, event_types: ["run.status_changed"] });
    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "Fleet JSON" }, status: "completed" }] });
    await poke();
    await waitFor(
      "three deliveries",
      () => deliveries(`?channel_id=${hook.id}&status=succeeded`),
      (d) => d.length === 3,
    );
    const [latest] = await deliveries(`?channel_id=${hook.id}`);

    const asViewer = await call("POST", `/api/alerts/deliveries/${latest!.id}/redeliver`, { as: "viewer" });
    expect(asViewer.status).toBe(403);
    const res = await call<{ status: string; redeliveries: number }>("POST", `/api/alerts/deliveries/${latest!.id}/redeliver`, { as: "operator" });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "pending", redeliveries: 1 });

    const requests = await waitFor(
      "the redelivery",
      () => received(receiver.name),
      (r) => r.length >= 4,
    );
    const again = requests.filter((r) => r.headers["webhook-id"] === latest!.webhook_id);
    expect(again).toHaveLength(2);
    expect(again[0]!.body).toBe(again[1]!.body);
    const after = await waitFor(
      "the second attempt",
      () => deliveries(`?channel_id=${hook.id}`),
      (d) => d[0]!.attempt_count === 2,
    );
    expect(after[0]).toMatchObject({ id: latest!.id, status: "succeeded", redeliveries: 1 });
    expect(after[0]!.attempts.map((a) => a.attempt)).toEqual([1, 2]);
  });
});
