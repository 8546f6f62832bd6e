import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { handleError } from "../../../worker/api/errors";
import type { AppEnv } from "../../../worker/app-env";
import { ACCESS_JWT_HEADER } from "../../../worker/auth/access-jwt";
import { issueApiToken } from "../../../worker/auth/tokens";
import { createLiveRouter } from "../../../worker/api/live";
import { liveHub } from "../../../worker/live/publish";
import { toRunSummary } from "../../../worker/ledger/run-views";
import { envWith, makeAccessTeam, makeRun, makeToken } from "../factories";
import { bearerProtocol, connectLive, expectType } from "./live-client";

// Long enough for the upgrade and the snapshot to arrive first; the wait is for the close event, not a sleep.
const LIFETIME_MS = 1_500;

describe("a live socket whose credential expires", () => {
  it("is closed with 1008 when its API token expires, and every other socket stays open", async () => {
    const expiresAt = Date.now() + LIFETIME_MS;
    const lapsing = await issueApiToken(env.LEDGER, { name: "lapsing", role: "viewer", createdBy: "test", now: Date.now(), expiresAt });
    const doomed = await connectLive(bearerProtocol(lapsing.token));
    const survivor = await connectLive(bearerProtocol((await makeToken("viewer")).token));
    expectType(await doomed.next(), "snapshot");
    expectType(await survivor.next(), "snapshot");

    const event = await doomed.closed;
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(event.code).toBe(1008);
    expect(event.reason).toBe("API token expired");

    const run = await makeRun({ status: "running" });
    const update = { type: "run", run: toRunSummary({ ...run, idempotency_key: null }), seq: 1 } as const;
    await liveHub(env).publish(update);
    expect(await survivor.next()).toEqual(update);
    survivor.close();
  });

  it("is closed with 1008 when the Cloudflare Access JWT it was opened with expires", async () => {
    const team = await makeAccessTeam();
    const accessEnv = envWith({ ACCESS_TEAM_DOMAIN: team.teamDomain, ACCESS_AUD: team.audience });
    const app = new Hono<AppEnv>();
    app.onError(handleError);
    app.route("/api/live", createLiveRouter({ fetch: team.fetch }));
    const expSeconds = Math.ceil((Date.now() + LIFETIME_MS) / 1000);

    const client = await connectLive({ [ACCESS_JWT_HEADER]: await team.sign({ exp: expSeconds }) }, (url, init) =>
      Promise.resolve(app.request(url, init, accessEnv)),
    );
    expectType(await client.next(), "snapshot");

    const event = await client.closed;
    expect(Date.now()).toBeGreaterThanOrEqual(expSeconds * 1000);
    expect(event.code).toBe(1008);
    expect(event.reason).toBe("Access session expired");
  });
});
