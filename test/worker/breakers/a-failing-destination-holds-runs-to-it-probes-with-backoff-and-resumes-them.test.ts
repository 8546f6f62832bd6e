import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { DestinationBreaker } from "../../../worker/breakers/destination-breaker";
import type { RunDetail } from "../../../worker/schemas/runs";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { installRecordingDestination, throughRecorder, type RecordingDestination } from "../runs/recording-destination";
import { api, coordinatorStub, countersOf, demoConfig, driveRun, logsOf, makeCredentialWith, makeToken, resetWorld, runDetail, startRun } from "../factories";

const SLOW = { timeout: 60_000 };
const HOST = "recorded.example.com";
const RECORDS = demoSourceDevices().slice(0, 15);

interface BreakerView {
  host: string;
  state: string;
  next_probe_at: string | null;
  failed_probes: number;
  last_error: string | null;
  waiting_jobs: number;
}

let destination: RecordingDestination;
let failing: boolean;

beforeEach(async () => {
  await resetWorld();
  destination = installRecordingDestination();
  failing = true;
  destination.intercept = () => (failing ? new Response("upstream down", { status: 503 }) : undefined);
});
afterEach(async () => {
  destination.restore();
  await api("POST", `/api/destinations/breakers/${HOST}/reset`);
});

// One credential (so one run at a time) per lane, every lane on the same host; no retries, so a slice is quick.
async function runOnLane(lane: string): Promise<string> {
  const config = throughRecorder(
    demoConfig(0, (c) => (c.limits.retry_attempts = 0)),
    lane,
  );
  const { credentialId } = await makeCredentialWith([{ config }], RECORDS);
  return (await startRun({ credential_id: credentialId, type: "full", mode: "dry" })).id;
}

const step = (runId: string) => runDurableObjectAlarm(coordinatorStub(runId));
const breakers = async () => (await api<{ breakers: BreakerView[] }>("GET", "/api/destinations/breakers")).body.breakers;
const breakerOf = async () => (await breakers()).find((b) => b.host === HOST);

// A webhook channel hearing a destination_down rule; returns the channel's id.
async function watchDestinationDown(): Promise<string> {
  const admin = { authorization: `Bearer ${(await makeToken("admin")).token}` };
  const channel = await api<{ id: string }>(
    "POST",
    "/api/alerts/channels",
    { name: `Destination watch ${crypto.randomUUID()}`, kind: "webhook", url: "http://localhost:8787/sandbox/_receiver/destination-watch" },
    admin,
  );
  expect(channel.status, JSON.stringify(channel.body)).toBe(201);
  const rule = await api("POST", "/api/alerts/rules", { channel_id: channel.body.id, condition: "destination_down" }, admin);
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
  return channel.body.id;
}

const incidents = async () =>
  (
    await env.LEDGER.prepare("SELECT severity, resolved_at FROM alert_incidents WHERE connection_id = ?1 ORDER BY raised_at")
      .bind(`host:${HOST}`)
      .all<{ severity: string; resolved_at: number | null }>()
  ).results;

// The channel's alert deliveries once `count` have been fanned out (the alerts queue runs beside the test).
async function deliveries(channelId: string, count: number): Promise<Array<{ type: string; summary: string }>> {
  const until = Date.now() + 20_000;
  for (;;) {
    const { results } = await env.LEDGER.prepare(
      "SELECT event_type, payload_json FROM deliveries WHERE channel_id = ?1 AND event_type LIKE 'alert.%' ORDER BY created_at, event_seq",
    )
      .bind(channelId)
      .all<{ event_type: string; payload_json: string }>();
    if (results.length >= count || Date.now() > until) {
      return results.map((r) => ({ type: r.event_type, summary: (JSON.parse(r.payload_json) as { alert: { summary: string } }).alert.summary }));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The breaker's own clock, moved on instead of waiting for a probe time.
async function passTime(ms: number): Promise<void> {
  const stub = env.DESTINATION_BREAKER.get(env.DESTINATION_BREAKER.idFromName(HOST));
  await runInDurableObject(stub, (instance: DestinationBreaker) => {
    (instance as unknown as { clockOffsetMs: number }).clockOffsetMs += ms;
  });
}

it(
  "a host answering 503 opens its breaker; a run to it on another connection waits, probes after 30 s and then 1 min, and completes once it recovers",
  SLOW,
  async () => {
    const channelId = await watchDestinationDown();
    const first = await driveRun(await runOnLane("a"));
    expect(countersOf(first.jobs[0]!).failed).toBeGreaterThanOrEqual(10);
    let breaker = await breakerOf();
    expect(breaker).toMatchObject({ state: "open", failed_probes: 0, last_error: "HTTP 503" });
    expect(await incidents()).toEqual([{ severity: "critical", resolved_at: null }]);
    const firstProbe = breaker!.next_probe_at;

    // Another connection to the same host starts, then holds: nothing is sent.
    const second = await runOnLane("b");
    await step(second);
    const sentBefore = destination.requests.filter((r) => r.lane === "b").length;
    await step(second);
    expect(destination.requests.filter((r) => r.lane === "b").length).toBe(sentBefore);
    let detail: RunDetail = await runDetail(second);
    expect(detail.status).toBe("running");
    expect(detail.jobs[0]!.waiting).toEqual({
      host: HOST,
      next_probe_at: breaker!.next_probe_at,
      reason: `Paused: destination ${HOST} is failing; next probe at ${breaker!.next_probe_at}`,
    });
    expect((await breakerOf())!.waiting_jobs).toBe(1);

    // The first probe fails: one request, and the next waits twice as long.
    await passTime(30_000);
    await step(second);
    expect(destination.requests.filter((r) => r.lane === "b").length).toBe(sentBefore + 1);
    breaker = await breakerOf();
    expect(breaker).toMatchObject({ state: "open", failed_probes: 1 });
    await step(second);
    detail = await runDetail(second);
    expect(detail.jobs[0]!.waiting?.next_probe_at).toBe(breaker!.next_probe_at);

    // The host recovers; the second probe closes the breaker and the job goes on to the end.
    failing = false;
    await passTime(60_000);
    const done = await driveRun(second);
    expect(done.status).toBe("completed");
    expect(countersOf(done.jobs[0]!).processed).toBe(RECORDS.length);
    expect(done.jobs[0]!.waiting).toBeNull();
    expect(await breakerOf()).toMatchObject({ state: "closed", waiting_jobs: 0 });
    const lines = (await logsOf(done.jobs[0]!.id)).map((line) => line.message);
    expect(lines.filter((line) => line.startsWith("Paused: destination"))).toHaveLength(1);
    expect(lines).toContain(`Resumed: destination ${HOST} answers again`);

    // One incident for the host across both runs and the failed probe: raised once, resolved once.
    expect(await incidents()).toEqual([{ severity: "critical", resolved_at: expect.any(Number) }]);
    expect(await deliveries(channelId, 2)).toEqual([
      { type: "alert.raised", summary: `${HOST} keeps failing (HTTP 503): runs to it are paused; next probe at ${firstProbe}` },
      { type: "alert.resolved", summary: `${HOST} answers again; the runs paused on it resumed` },
    ]);
  },
);

it("an operator's reset closes the breaker, resolves its incident and the waiting run goes on at once; an unknown host is a 404", SLOW, async () => {
  await watchDestinationDown();
  await driveRun(await runOnLane("c"));
  expect((await breakerOf())?.state).toBe("open");
  const open = async () => (await incidents()).filter((incident) => incident.resolved_at === null);
  expect((await open()).length).toBeGreaterThan(0);
  const waiting = await runOnLane("d");
  await step(waiting);
  await step(waiting);
  expect((await runDetail(waiting)).jobs[0]!.waiting?.host).toBe(HOST);

  failing = false;
  const reset = await api<BreakerView>("POST", `/api/destinations/breakers/${HOST}/reset`);
  expect(reset.status).toBe(200);
  expect(reset.body).toMatchObject({ host: HOST, state: "closed" });
  expect(await open()).toEqual([]);
  expect((await driveRun(waiting)).status).toBe("completed");

  const unknown = await api<{ error: { code: string } }>("POST", "/api/destinations/breakers/nowhere.example.com/reset");
  expect(unknown.status).toBe(404);
  const bad = await api<{ error: { details: Array<{ path: string }> } }>("POST", "/api/destinations/breakers/not%20a%20host/reset");
  expect(bad.status).toBe(400);
  expect(bad.body.error.details[0]!.path).toBe("host");
});
