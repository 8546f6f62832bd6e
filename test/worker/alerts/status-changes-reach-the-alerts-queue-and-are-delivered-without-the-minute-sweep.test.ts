import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { EventPayload } from "../../../worker/alerts/payload";
import { commit, jobStartStatements } from "../../../worker/ledger/run-writes";
import { demoConfig, driveRun, makeCredentialWith, makeRun, startRun } from "../factories";
import { createChannel, deliveries, makeReceiver, received, resetAlerts, waitFor } from "./support";

beforeEach(resetAlerts);

describe("the alerts queue", () => {
  it("carries a real run's status changes from its writers to the webhook, with no sweep", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url });
    const { credentialId, connectionIds } = await makeCredentialWith([{ config: demoConfig(0) }]);

    // Run creation and the coordinator's commits enqueue their events; nothing here pokes or sweeps.
    const run = await startRun({ credential_id: credentialId, type: "full", connection_ids: connectionIds });
    await driveRun(run.id);

    const requests = await waitFor(
      "five deliveries",
      () => received(receiver.name),
      (r) => r.length >= 5,
    );
    const bodies = requests.map((r) => JSON.parse(r.body) as EventPayload);
    expect(bodies.map((b) => `${b.type} ${b.status}`)).toEqual([
      "run.status_changed pending",
      "run.status_changed running",
      "job.status_changed running",
      "job.status_changed completed",
      "run.status_changed completed",
    ]);
    expect(new Set(bodies.map((b) => b.run_id))).toEqual(new Set([run.id]));
    const log = await waitFor(
      "every delivery to be recorded",
      () => deliveries(`?channel_id=${hook.id}`),
      (d) => d.length === 5 && d.every((x) => x.status === "succeeded"),
    );
    expect(log.every((d) => d.attempt_count === 1)).toBe(true);
  }, 30_000);

  it("gets from a commit exactly the events it wrote: a replayed batch wrote none and enqueues none", async () => {
    const run = await makeRun({ status: "running", started_at: Date.now() }, [{ status: "pending" }]);
    const [job] = run.jobs;
    const start = () =>
      jobStartStatements(env.LEDGER, {
        job: { id: job!.id, run_id: run.id, connection_id: job!.connection_id, connection_name: job!.connection_name },
        now: Date.now(),
        connectionVersion: 1,
        inScope: 3,
        mode: "dry",
        incrementalSince: null,
        resetConnection: false,
      });
    const written = await commit(env.LEDGER, start());
    const rows = await env.LEDGER.prepare("SELECT id FROM events WHERE job_id = ?1").bind(job!.id).all<{ id: string }>();
    expect(written).toEqual(rows.results.map((r) => r.id));
    expect(written).toHaveLength(1);
    expect(await commit(env.LEDGER, start())).toEqual([]);
  });
});
