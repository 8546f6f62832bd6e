import { beforeEach, describe, expect, it } from "vitest";
import type { EventPayload } from "../../../worker/alerts/payload";
import { makeConnection, makeCredential } from "../factories";
import { createChannel, createRule, deliveries, makeReceiver, playRun, poke, received, resetAlerts, waitFor } from "./support";

beforeEach(resetAlerts);

const RUNS = 12;

describe("a dead channel", () => {
  it("works through its own backlog while a healthy channel gets every delivery", async () => {
    const credential = await makeCredential();
    // Slack's rate gate spaces the dead channel's sends a second apart: its backlog keeps its sender busy for RUNS seconds.
    const deadReceiver = await makeReceiver([], { status: 500, body: "down" });
    const dead = await createChannel({ kind: "slack", webhook_url: deadReceiver.url });
    await createRule({ channel_id: dead.id, failure_threshold: 1 });
    const healthyReceiver = await makeReceiver();
    const healthy = await createChannel({ kind: "webhook", url: healthyReceiver.url, event_types: ["run.status_changed"] });

    // Each run fails a connection of its own, so each raises an alert in a (channel, run) line of its own.
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const connection = await makeConnection(credential, { position: i + 1 });
      runIds.push((await playRun({ credentialId: credential.id, jobs: [{ connection, status: "failed" }] })).runId);
    }
    await poke();

    const requests = await waitFor(
      "every run's three changes at the healthy channel",
      () => received(healthyReceiver.name),
      (r) => r.length >= RUNS * 3,
      30_000,
    );
    // The dead channel's sender had not worked through its backlog by then: the healthy one never waited for it.
    expect((await received(deadReceiver.name)).length).toBeLessThan(RUNS);
    expect(requests).toHaveLength(RUNS * 3);
    const bodies = requests.map((r) => JSON.parse(r.body) as EventPayload);
    for (const runId of runIds) {
      expect(bodies.filter((b) => b.run_id === runId).map((b) => b.status)).toEqual(["pending", "running", "failed"]);
    }
    expect((await deliveries(`?channel_id=${healthy.id}&status=succeeded`)).length).toBe(RUNS * 3);

    const waiting = await waitFor(
      "the dead channel's alerts to be recorded as failing",
      () => deliveries(`?channel_id=${dead.id}`),
      (d) => d.length === RUNS && d.some((x) => x.attempt_count > 0),
    );
    expect(waiting.every((d) => d.status === "pending")).toBe(true);
  }, 60_000);
});
