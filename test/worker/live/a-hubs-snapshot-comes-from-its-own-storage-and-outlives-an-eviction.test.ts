import { env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { toJobSummary, toRunSummary } from "../../../worker/ledger/run-views";
import type { LiveHub } from "../../../worker/live/live-hub";
import { FINISHED_KEEP_MS, LiveHubStore, MAX_RUNS, SILENT_ACTIVE_MS } from "../../../worker/live/hub-store";
import { liveHub } from "../../../worker/live/publish";
import type { LiveUpdate } from "../../../worker/live/protocol";
import type { RunSummary } from "../../../worker/schemas/runs";
import { makeRun, makeToken } from "../factories";
import { announceFromLedger, bearerProtocol, connectLive, credentialFeed, expectType } from "./live-client";

function withStore<R>(credentialId: string, fn: (store: LiveHubStore, sql: SqlStorage) => R): Promise<R> {
  return runInDurableObject(liveHub(env, credentialId), (_hub: LiveHub, state) => fn(new LiveHubStore(state.storage.sql), state.storage.sql));
}

function runUpdate(run: RunSummary, status: RunSummary["status"], seq: number): LiveUpdate {
  return { type: "run", run: { ...run, status }, seq };
}

describe("a live hub's snapshot", () => {
  it("comes from what was published to the hub, not from D1", async () => {
    const token = (await makeToken("viewer")).token;
    const published = await makeRun({ status: "running" }, [{ status: "running", processed: 4, in_scope: 9 }]);
    await announceFromLedger(published.id);
    // Behind the hub's back: the published run finishes in D1, and another active run appears there.
    await env.LEDGER.prepare("UPDATE runs SET status = 'completed', finished_at = ?2 WHERE id = ?1").bind(published.id, Date.now()).run();
    const unpublished = await makeRun({ status: "running", credential_id: published.credential_id });

    const client = await connectLive(bearerProtocol(token), undefined, credentialFeed(published.credential_id));
    const snapshot = expectType(await client.next(), "snapshot");
    expect(snapshot.runs).toEqual([{ ...toRunSummary({ ...published, idempotency_key: null }), jobs: [toJobSummary(published.jobs[0]!, published.mode)] }]);
    expect(snapshot.runs.map((run) => run.id)).not.toContain(unpublished.id);
    client.close();
  });

  it("is served the same after the hub is evicted, and a hibernated socket still gets the next delta", async () => {
    const token = (await makeToken("viewer")).token;
    const run = await makeRun({ status: "running" }, [{ status: "running", processed: 2, in_scope: 5 }]);
    await announceFromLedger(run.id, 10);
    const before = await connectLive(bearerProtocol(token), undefined, credentialFeed(run.credential_id));
    const first = expectType(await before.next(), "snapshot");

    await evictDurableObject(liveHub(env, run.credential_id));

    const after = await connectLive(bearerProtocol(token), undefined, credentialFeed(run.credential_id));
    const second = expectType(await after.next(), "snapshot");
    expect(second.runs).toEqual(first.runs);
    expect(second.runs.map((r) => r.id)).toEqual([run.id]);

    // After the eviction the hub still knows what it holds: an older message is dropped, a newer one delivered.
    const job = toJobSummary(run.jobs[0]!, run.mode);
    expect(await liveHub(env, run.credential_id).publish({ type: "job", job: { ...job, processed: 1 }, seq: 9 })).toBe(0);
    const next: LiveUpdate = { type: "job", job: { ...job, processed: 3 }, seq: 11 };
    expect(await liveHub(env, run.credential_id).publish(next)).toBe(2);
    expect(await before.next()).toEqual(next);
    expect(await after.next()).toEqual(next);
    before.close();
    after.close();
  });

  it("drops a finished run after a while, an active run unheard of for a day, and the least recently heard beyond the cap", async () => {
    const run = toRunSummary({ ...(await makeRun({ status: "running" })), idempotency_key: null });
    const credential = run.credential_id;
    const t0 = 1_000_000;
    const kept = await withStore(credential, (store, sql) => {
      store.apply(runUpdate(run, "running", 1), t0);
      store.apply(runUpdate({ ...run, id: "run_silent" }, "running", 1), t0);
      store.apply(runUpdate(run, "completed", 2), t0 + SILENT_ACTIVE_MS - FINISHED_KEEP_MS);
      store.prune(t0 + SILENT_ACTIVE_MS - 1);
      const ids = () =>
        sql
          .exec<{ id: string }>("SELECT id FROM live_runs ORDER BY id")
          .toArray()
          .map((r) => r.id);
      const soon = ids();
      // A late "running" for the finished run is stale while the hub remembers the finish.
      const lateAccepted = store.apply(runUpdate(run, "running", 1), t0 + SILENT_ACTIVE_MS);
      store.prune(t0 + SILENT_ACTIVE_MS + 1);
      return { soon, later: ids(), lateAccepted, active: store.activeRuns(false).map((r) => r.id) };
    });
    expect(kept.soon).toEqual([run.id, "run_silent"].sort());
    expect(kept.lateAccepted).toBe(false);
    expect(kept.later).toEqual([]);
    expect(kept.active).toEqual([]);

    const capped = await withStore(credential, (store, sql) => {
      for (let i = 0; i < MAX_RUNS + 5; i++) store.apply(runUpdate({ ...run, id: `run_${String(i).padStart(5, "0")}` }, "running", 1), t0 + i);
      store.prune(t0 + MAX_RUNS + 5);
      const rows = sql.exec<{ n: number; oldest: string }>("SELECT COUNT(*) AS n, MIN(id) AS oldest FROM live_runs").one();
      return rows;
    });
    expect(capped).toEqual({ n: MAX_RUNS, oldest: "run_00005" });
  });
});

describe("a live hub receiving messages out of order", () => {
  it("drops a message older than one it holds, for a job and for a run, and keeps the newer state", async () => {
    const token = (await makeToken("viewer")).token;
    const fixture = await makeRun({ status: "running" }, [{ status: "running", processed: 0, in_scope: 10 }]);
    const run = toRunSummary({ ...fixture, idempotency_key: null });
    const job = toJobSummary(fixture.jobs[0]!, fixture.mode);
    const hub = liveHub(env, fixture.credential_id);
    await hub.publish({ type: "run", run, jobs: [job], seq: 1 });
    const client = await connectLive(bearerProtocol(token), undefined, credentialFeed(fixture.credential_id));
    expectType(await client.next(), "snapshot");

    const newer: LiveUpdate = { type: "job", job: { ...job, processed: 5 }, seq: 20 };
    expect(await hub.publish(newer)).toBe(1);
    expect(await hub.publish({ type: "job", job: { ...job, processed: 3 }, seq: 19 })).toBe(0);
    const finished: LiveUpdate = { type: "run", run: { ...run, status: "completed" }, seq: 30 };
    expect(await hub.publish(finished)).toBe(1);
    expect(await hub.publish({ type: "run", run, seq: 29 })).toBe(0);

    // The client saw exactly the newer messages, in order.
    expect(await client.next()).toEqual(newer);
    expect(await client.next()).toEqual(finished);
    client.socket.send(JSON.stringify({ type: "resync" }));
    const snapshot = expectType(await client.next(), "snapshot");
    expect(snapshot.runs).toEqual([]);
    const stored = await withStore(fixture.credential_id, (_store, sql) => sql.exec<{ job_json: string }>("SELECT job_json FROM live_jobs").one());
    expect((JSON.parse(stored.job_json) as { processed: number }).processed).toBe(5);
    client.close();
  });
});
