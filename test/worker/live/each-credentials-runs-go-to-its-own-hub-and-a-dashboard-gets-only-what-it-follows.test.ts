import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { toJobSummary, toRunSummary } from "../../../worker/ledger/run-views";
import type { LiveHub } from "../../../worker/live/live-hub";
import { LiveHubStore } from "../../../worker/live/hub-store";
import { liveHub, publishLive } from "../../../worker/live/publish";
import type { LiveUpdate } from "../../../worker/live/protocol";
import { makeRun, makeToken, type RunFixture } from "../factories";
import { bearerProtocol, connectLive, credentialFeed, expectType } from "./live-client";

function progress(run: RunFixture, processed: number, seq: number): LiveUpdate {
  return { type: "job", job: { ...toJobSummary(run.jobs[0]!, run.mode), processed }, seq };
}

function status(run: RunFixture, seq: number): LiveUpdate {
  const summary = { ...toRunSummary({ ...run, idempotency_key: null }), status: "completed" as const };
  return { type: "run", run: summary, jobs: [{ ...toJobSummary(run.jobs[0]!, run.mode), status: "completed" }], seq };
}

async function storedRunIds(stub: DurableObjectStub<LiveHub>): Promise<string[]> {
  return runInDurableObject(stub, (_hub: LiveHub, state) => {
    const store = new LiveHubStore(state.storage.sql);
    return [...store.activeRuns(false), ...state.storage.sql.exec<{ id: string }>("SELECT id FROM live_runs WHERE active = 0").toArray()].map((r) => r.id);
  });
}

describe("the sharded live feed", () => {
  it("sends each credential's progress to its own hub, and each dashboard only what it follows", async () => {
    const a = await makeRun({ status: "running" }, [{ status: "running", processed: 1, in_scope: 10 }]);
    const b = await makeRun({ status: "running" }, [{ status: "running", processed: 1, in_scope: 10 }]);
    expect(a.credential_id).not.toBe(b.credential_id);
    const token = (await makeToken("viewer")).token;
    const watchingA = await connectLive(bearerProtocol(token), undefined, credentialFeed(a.credential_id));
    const watchingB = await connectLive(bearerProtocol(token), undefined, credentialFeed(b.credential_id));
    const lists = await connectLive(bearerProtocol(token));
    for (const client of [watchingA, watchingB, lists]) expectType(await client.next(), "snapshot");

    await publishLive(env, a.credential_id, progress(a, 2, 1));
    await publishLive(env, b.credential_id, progress(b, 3, 1));
    await publishLive(env, a.credential_id, status(a, 2));
    await publishLive(env, b.credential_id, status(b, 2));

    // In order, with nothing of the other credential in between.
    expect(await watchingA.next()).toEqual(progress(a, 2, 1));
    expect(await watchingA.next()).toEqual(status(a, 2));
    expect(await watchingB.next()).toEqual(progress(b, 3, 1));
    expect(await watchingB.next()).toEqual(status(b, 2));
    // The lists' feed hears of both runs' status changes and of no job.
    const { jobs: _a, ...runA } = status(a, 2) as Extract<LiveUpdate, { type: "run" }>;
    const { jobs: _b, ...runB } = status(b, 2) as Extract<LiveUpdate, { type: "run" }>;
    expect(await lists.next()).toEqual(runA);
    expect(await lists.next()).toEqual(runB);

    // Each credential's hub holds its own runs only; the runs hub holds both.
    expect(liveHub(env, a.credential_id).id.equals(liveHub(env, b.credential_id).id)).toBe(false);
    expect(await storedRunIds(liveHub(env, a.credential_id))).toEqual([a.id]);
    expect(await storedRunIds(liveHub(env, b.credential_id))).toEqual([b.id]);
    expect((await storedRunIds(liveHub(env))).sort()).toEqual(expect.arrayContaining([a.id, b.id].sort()));

    for (const client of [watchingA, watchingB, lists]) client.close();
  });

  it("refuses a credential feed whose id is not an id, naming the parameter", async () => {
    const token = (await makeToken("viewer")).token;
    const { exports } = await import("cloudflare:workers");
    const res = await exports.default.fetch(`http://localhost/api/live?credential=${encodeURIComponent("../x y")}`, {
      headers: { Upgrade: "websocket", ...bearerProtocol(token) },
    });
    expect(res.status).toBe(400);
    const body = await res.json<{ error: { details: Array<{ path: string; in: string }> } }>();
    expect(body.error.details).toEqual([expect.objectContaining({ path: "credential", in: "query" })]);
  });
});
