import { createScheduledController, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import entry from "../../../worker/index";
import type { EventPayload } from "../../../worker/alerts/payload";
import { createChannel, makeReceiver, playRun, received, resetAlerts, undispatchedCount, unique, waitFor } from "./support";

beforeEach(resetAlerts);

describe("the minute cron's alert sweep", () => {
  it("puts events nobody enqueued back on the queue once they are a few seconds old, and leaves fresh ones to their writer", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url, event_types: ["run.status_changed"] });
    // The test's run writers commit without sending to the queue: as if each send had been lost.
    const lost = await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    // A minute old (and the channel older still, as it hears only what happens after its creation): the
    // ledger's writers cannot backdate.
    await env.LEDGER.batch([
      env.LEDGER.prepare("UPDATE events SET created_at = created_at - 60000 WHERE run_id = ?1").bind(lost.runId),
      env.LEDGER.prepare("UPDATE alert_channels SET created_at = created_at - 120000 WHERE id = ?1").bind(hook.id),
    ]);
    const fresh = await playRun({ jobs: [{ connection: { id: unique("conn"), name: "B" }, status: "completed" }] });

    await entry.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), env);

    const requests = await waitFor(
      "the lost run's three changes",
      () => received(receiver.name),
      (r) => r.length >= 3,
    );
    expect(requests.map((r) => (JSON.parse(r.body) as EventPayload).status)).toEqual(["pending", "running", "completed"]);
    expect(new Set(requests.map((r) => (JSON.parse(r.body) as EventPayload).run_id))).toEqual(new Set([lost.runId]));
    expect(await undispatchedCount(lost.runId)).toBe(0);
    expect(await undispatchedCount(fresh.runId)).toBe(5);
  }, 30_000);
});
