import { beforeEach, describe, expect, it } from "vitest";
import type { LiveServerMessage } from "../../../worker/live/protocol";
import type { RunDetail } from "../../../worker/schemas/runs";
import { api, DEMO_IDS, driveRun, makeToken, resetWorld, startRun } from "../factories";
import { bearerProtocol, connectLive, credentialFeed, expectType, type LiveClient } from "./live-client";

beforeEach(async () => {
  await resetWorld();
});

// The next run message about this run (the feed also carries the other run's messages).
async function nextAbout(client: LiveClient, runId: string): Promise<Extract<LiveServerMessage, { type: "run" }>> {
  for (;;) {
    const message = await client.next(5_000);
    if (message.type === "run" && message.run.id === runId) return message;
  }
}

describe("a run no coordinator speaks for yet", () => {
  it("reaches the runs feed and its credential's feed when it is queued, and again when it is canceled", { timeout: 60_000 }, async () => {
    const token = (await makeToken("viewer")).token;
    const lists = await connectLive(bearerProtocol(token));
    const card = await connectLive(bearerProtocol(token), undefined, credentialFeed(DEMO_IDS.credential));
    expectType(await lists.next(), "snapshot");
    expectType(await card.next(), "snapshot");

    const first = await startRun({ type: "single", serial: "DEV-00001", mode: "dry" });
    const queued = await startRun({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.xml] });
    expect(queued.status).toBe("pending");
    expect((await nextAbout(lists, queued.id)).run.status).toBe("pending");
    const announced = await nextAbout(card, queued.id);
    expect(announced.run.status).toBe("pending");
    expect(announced.jobs?.map((job) => job.status)).toEqual(["pending"]);

    const res = await api<RunDetail>("POST", `/api/runs/${queued.id}/cancel`);
    expect(res.body.status).toBe("canceled");
    expect((await nextAbout(lists, queued.id)).run.status).toBe("canceled");
    expect((await nextAbout(card, queued.id)).run.status).toBe("canceled");

    // A fresh dashboard's snapshot no longer lists it.
    await driveRun(first.id);
    const later = await connectLive(bearerProtocol(token), undefined, credentialFeed(DEMO_IDS.credential));
    const snapshot = expectType(await later.next(), "snapshot");
    expect(snapshot.runs.map((run) => run.id)).not.toContain(queued.id);
    for (const client of [lists, card, later]) client.close();
  });
});
