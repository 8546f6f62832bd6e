import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobSummary, RunDetail } from "../../../worker/schemas/runs";
import { liveHub, publishLive } from "../../../worker/live/publish";
import type { LiveUpdate } from "../../../worker/live/protocol";
import { toJobSummary, toRunSummary } from "../../../worker/ledger/run-views";
import type { JobRow } from "../../../worker/ledger/run-rows";
import { makeRun, makeToken } from "../factories";
import { announceFromLedger, bearerProtocol, connectLive, credentialFeed, expectType } from "./live-client";

const worker = exports.default;
// SPEC §4: progress reaches every open dashboard within half a second.
const DELIVERY_MS = 500;

async function viewerToken(): Promise<string> {
  return (await makeToken("viewer")).token;
}

describe("GET /api/live", () => {
  it("sends every active run with its jobs on connect, and no finished run", async () => {
    const running = await makeRun({ status: "running" }, [
      { position: 2, status: "pending" },
      { position: 1, status: "running", processed: 7, in_scope: 20 },
    ]);
    const [first, second] = running.jobs as [JobRow, JobRow];
    const pending = await makeRun({ status: "pending" });
    const finished = await makeRun({ status: "completed" });
    for (const run of [running, pending, finished]) await announceFromLedger(run.id);
    const token = await viewerToken();

    // The credential's feed: its active run with the jobs.
    const own = await connectLive(bearerProtocol(token), undefined, credentialFeed(running.credential_id));
    const ownSnapshot = expectType(await own.next(), "snapshot");
    expect(ownSnapshot.credential_id).toBe(running.credential_id);
    expect(ownSnapshot.runs).toEqual([
      {
        ...toRunSummary({ ...running, idempotency_key: null }),
        jobs: [toJobSummary(first, running.mode), toJobSummary(second, running.mode)],
      } satisfies RunDetail,
    ]);
    own.close();

    // The runs feed: every credential's active runs, without their jobs.
    const client = await connectLive(bearerProtocol(token));
    const snapshot = expectType(await client.next(), "snapshot");
    expect(snapshot.credential_id).toBeNull();
    const byId = new Map(snapshot.runs.map((run) => [run.id, run]));
    expect(byId.get(running.id)).toEqual(toRunSummary({ ...running, idempotency_key: null }));
    expect(byId.get(pending.id)?.status).toBe("pending");
    expect(byId.has(finished.id)).toBe(false);
    client.close();
  });

  it("delivers each published update to every open dashboard within half a second", async () => {
    const token = await viewerToken();
    const run = await makeRun({ status: "running" }, [{ status: "running", processed: 3, in_scope: 10 }]);
    const one = await connectLive(bearerProtocol(token), undefined, credentialFeed(run.credential_id));
    const two = await connectLive(bearerProtocol(token), undefined, credentialFeed(run.credential_id));
    const lists = await connectLive(bearerProtocol(token));
    expectType(await one.next(), "snapshot");
    expectType(await two.next(), "snapshot");
    expectType(await lists.next(), "snapshot");

    const job = run.jobs[0]!;
    const progress: JobSummary = { ...toJobSummary(job, run.mode), processed: 4 };
    const update: LiveUpdate = { type: "job", job: progress, seq: 1 };
    const reached = await liveHub(env, run.credential_id).publish(update);
    expect(reached).toBeGreaterThanOrEqual(2);

    expect(await one.next(DELIVERY_MS)).toEqual(update);
    expect(await two.next(DELIVERY_MS)).toEqual(update);

    const summary = { ...toRunSummary({ ...run, idempotency_key: null }), status: "completed" as const };
    const finished: LiveUpdate = { type: "run", run: summary, jobs: [{ ...progress, status: "completed" }], seq: 2 };
    await publishLive(env, run.credential_id, finished);
    expect(await one.next(DELIVERY_MS)).toEqual(finished);
    expect(await two.next(DELIVERY_MS)).toEqual(finished);
    // The lists' feed hears of the status change, not of the jobs.
    expect(await lists.next(DELIVERY_MS)).toEqual({ type: "run", run: summary, seq: 2 });
    one.close();
    two.close();
    lists.close();
  });

  it("answers the bearer subprotocol a browser offers, so the browser accepts the socket", async () => {
    const client = await connectLive(bearerProtocol(await viewerToken()));
    expect(client.response.headers.get("Sec-WebSocket-Protocol")).toBe("bearer");
    expectType(await client.next(), "snapshot");
    client.close();
  });

  it("answers ping with pong and resync with a fresh snapshot", async () => {
    const client = await connectLive(bearerProtocol(await viewerToken()));
    expectType(await client.next(), "snapshot");
    client.socket.send(JSON.stringify({ type: "ping" }));
    expect(await client.next()).toEqual({ type: "pong" });

    const started = await makeRun({ status: "running" });
    await announceFromLedger(started.id);
    expect(expectType(await client.next(), "run").run.id).toBe(started.id);
    client.socket.send(JSON.stringify({ type: "resync" }));
    const snapshot = expectType(await client.next(), "snapshot");
    expect(snapshot.runs.map((run) => run.id)).toContain(started.id);

    client.socket.send("hello?");
    expect(expectType(await client.next(), "error").code).toBe("bad_message");
    client.close();
  });

  it("refuses a caller without a valid token, and a request that is not an upgrade", async () => {
    const anonymous = await worker.fetch("http://localhost/api/live", { headers: { Upgrade: "websocket" } });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json<{ error: { code: string } }>()).error.code).toBe("unauthorized");

    const forged = await worker.fetch("http://localhost/api/live", {
      headers: { Upgrade: "websocket", ...bearerProtocol("osk_v_00000000000000000000000000000000") },
    });
    expect(forged.status).toBe(401);
    await forged.arrayBuffer();

    const plain = await worker.fetch("http://localhost/api/live", { headers: { Authorization: `Bearer ${await viewerToken()}` } });
    expect(plain.status).toBe(426);
    expect((await plain.json<{ error: { code: string } }>()).error.code).toBe("upgrade_required");
  });

  it("closes the sockets of a revoked token at once and keeps every other socket open", async () => {
    const admin = await makeToken("admin");
    const revoked = await makeToken("viewer");
    const watched = await makeRun({ status: "running" });
    const doomed = [
      await connectLive(bearerProtocol(revoked.token)),
      await connectLive(bearerProtocol(revoked.token)),
      await connectLive(bearerProtocol(revoked.token), undefined, credentialFeed(watched.credential_id)),
    ];
    const survivor = await connectLive(bearerProtocol(await viewerToken()));
    for (const client of [...doomed, survivor]) expectType(await client.next(), "snapshot");
    const closes = doomed.map(
      (client) => new Promise<CloseEvent>((resolve) => client.socket.addEventListener("close", (event) => resolve(event), { once: true })),
    );

    const res = await worker.fetch(`http://localhost/api/tokens/${revoked.id}`, { method: "DELETE", headers: { Authorization: `Bearer ${admin.token}` } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    for (const event of await Promise.all(closes)) {
      expect(event.code).toBe(1008);
      expect(event.reason).toBe("API token revoked");
    }

    const again = await worker.fetch("http://localhost/api/live", { headers: { Upgrade: "websocket", ...bearerProtocol(revoked.token) } });
    expect(again.status).toBe(401);
    await again.arrayBuffer();
    const run = await makeRun({ status: "running" });
    const still: LiveUpdate = { type: "run", run: toRunSummary({ ...run, idempotency_key: null }), seq: 1 };
    expect(await liveHub(env).publish(still)).toBeGreaterThanOrEqual(1);
    expect(await survivor.next(DELIVERY_MS)).toEqual(still);
    survivor.close();
  });
});
