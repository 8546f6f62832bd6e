import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { MAX_ATTEMPTS } from "../../../worker/alerts/retry-schedule";
import { call, errorOf } from "../api/config-api";
import { channel, createChannel, deliveries, makeReceiver, playRun, poke, received, resetAlerts, unique, waitFor } from "./support";

beforeEach(resetAlerts);

const DAY = 24 * 60 * 60 * 1000;

describe("disabling endpoints", () => {
  it("disables a channel at its first 410 Gone, says why, and sends it nothing more until it is enabled again", async () => {
    const receiver = await makeReceiver([{ status: 410, body: "this hook was removed" }]);
    const hook = await createChannel({ kind: "webhook", url: receiver.url, event_types: ["run.status_changed"] });
    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    await poke();

    const disabled = await waitFor(
      "the channel to be disabled",
      () => channel(hook.id),
      (c) => !c.enabled,
    );
    expect(disabled.disabled_reason).toMatch(/^The endpoint answered 410 Gone on .*; fix the channel, then enable it again\.$/);
    expect(disabled.disabled_at).not.toBeNull();
    const [gone] = (await deliveries(`?channel_id=${hook.id}`)).filter((d) => d.status === "failed");
    expect(gone).toMatchObject({ attempt_count: 1, last_status_code: 410 });

    // Events after that do not reach it; the run's later deliveries wait, unsent.
    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "B" }, status: "completed" }] });
    await poke();
    await waitFor(
      "the outbox to drain",
      () => env.LEDGER.prepare("SELECT COUNT(*) AS n FROM events WHERE dispatched_at IS NULL").first<{ n: number }>(),
      (r) => r?.n === 0,
    );
    expect(await received(receiver.name)).toHaveLength(1);

    const refused = await call("POST", `/api/alerts/deliveries/${gone!.id}/redeliver`, { as: "operator" });
    expect(refused.status).toBe(409);
    expect(errorOf(refused).code).toBe("channel_disabled");

    const enabled = await call<{ enabled: boolean; disabled_reason: string | null }>("PATCH", `/api/alerts/channels/${hook.id}`, { body: { enabled: true } });
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null });
    // The waiting deliveries of the first run go out once it is back.
    await waitFor(
      "the held deliveries",
      () => received(receiver.name),
      (r) => r.length >= 3,
    );
  });

  it("fails a delivery after its last retry and disables a channel that has failed for three days", async () => {
    const receiver = await makeReceiver([], { status: 503, body: "down for maintenance" });
    const hook = await createChannel({ kind: "webhook", url: receiver.url, event_types: ["run.status_changed"] });
    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    await poke();
    const [first] = await waitFor(
      "a failed attempt",
      () => deliveries(`?channel_id=${hook.id}`),
      (d) => d.some((x) => x.attempt_count === 1),
    );
    expect(first).toBeDefined();
    const head = (await deliveries(`?channel_id=${hook.id}`)).find((d) => d.attempt_count === 1)!;

    // Three days of failures, compressed: this is the last attempt, and the streak began four days ago.
    await env.LEDGER.batch([
      env.LEDGER.prepare("UPDATE deliveries SET cycle_attempts = ?2, next_attempt_at = ?3 WHERE id = ?1").bind(head.id, MAX_ATTEMPTS - 1, Date.now()),
      env.LEDGER.prepare("UPDATE alert_channels SET failing_since = ?2 WHERE id = ?1").bind(hook.id, Date.now() - 4 * DAY),
    ]);
    await poke();

    const disabled = await waitFor(
      "the channel to be disabled",
      () => channel(hook.id),
      (c) => !c.enabled,
    );
    expect(disabled.disabled_reason).toMatch(
      /^Every delivery has failed since .* \(4 days\); last: HTTP 503\. Fix the endpoint, then enable the channel again\.$/,
    );
    expect(disabled.health.failing_since).not.toBeNull();
    const failed = (await deliveries(`?channel_id=${hook.id}&status=failed`))[0]!;
    expect(failed).toMatchObject({ id: head.id, attempt_count: 2, next_attempt_at: null, last_status_code: 503 });
    expect(failed.attempts.map((a) => a.response_excerpt)).toEqual(["down for maintenance", "down for maintenance"]);
  });

  it("keeps retrying a channel that succeeded recently, and clears its failure streak on success", async () => {
    const receiver = await makeReceiver([{ status: 502 }]);
    const hook = await createChannel({ kind: "webhook", url: receiver.url, event_types: ["run.status_changed"] });
    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    await poke();
    const failing = await waitFor(
      "a failure",
      () => channel(hook.id),
      (c) => c.health.failing_since !== null,
    );
    expect(failing.enabled).toBe(true);
    // Due now rather than after its backoff: the ledger only schedules retries in the future.
    await env.LEDGER.prepare("UPDATE deliveries SET next_attempt_at = ?1 WHERE status = 'pending'").bind(Date.now()).run();
    await poke();
    const healthy = await waitFor(
      "a success",
      () => channel(hook.id),
      (c) => c.health.last_success_at !== null,
    );
    expect(healthy.health.failing_since).toBeNull();
  });
});
