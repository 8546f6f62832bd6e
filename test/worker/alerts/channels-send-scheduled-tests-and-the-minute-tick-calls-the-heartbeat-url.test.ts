import { createScheduledController, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { sendDueChannelTests } from "../../../worker/alerts/scheduled-tests";
import entry from "../../../worker/index";
import { heartbeatPass } from "../../../worker/schedule/heartbeat-ping";
import type { AlertChannel } from "../../../worker/schemas/alerts";
import type { HealthResponse, Settings } from "../../../worker/schemas/types";
import { call, errorOf, SANDBOX } from "../api/config-api";
import { channel, createChannel, makeReceiver, received, resetAlerts } from "./support";

// Scheduled channel tests and the heartbeat URL through the real API, the real minute tick and the sandbox's
// receiver (loopback URLs are served in-process with SANDBOX=on).
beforeEach(resetAlerts);

const MINUTE = 60_000;
const nextMinute = () => Math.ceil((Date.now() + 1) / MINUTE) * MINUTE;

describe("scheduled channel tests", () => {
  it("stores a test schedule, refuses one that is not a 5-field cron by name, and clears it with null", async () => {
    const receiver = await makeReceiver();
    const created = await createChannel({ kind: "webhook", url: receiver.url, test_schedule: "0 9 * * 1" });
    expect(created).toMatchObject({ test_schedule: "0 9 * * 1", last_test: null });
    const next = new Date(created.next_test_at!);
    expect([next.getUTCDay(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 9, 0]);

    const bad = await call("PATCH", `/api/alerts/channels/${created.id}`, { body: { test_schedule: "every monday" } });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).details.map((d) => d.path)).toEqual(["test_schedule"]);

    const cleared = await call<AlertChannel>("PATCH", `/api/alerts/channels/${created.id}`, { body: { test_schedule: null } });
    expect(cleared.body).toMatchObject({ test_schedule: null, next_test_at: null });
    // Other changes keep the schedule.
    const slack = await createChannel({ kind: "slack", webhook_url: `${receiver.url}-slack`, test_schedule: "*/5 * * * *" });
    const renamed = await call<AlertChannel>("PATCH", `/api/alerts/channels/${slack.id}`, { body: { name: `${slack.name} renamed` } });
    expect(renamed.body).toMatchObject({ test_schedule: "*/5 * * * *", next_test_at: slack.next_test_at });
  });

  it("sends each due test once, records what the receiver answered, and skips a disabled channel", async () => {
    const good = await makeReceiver();
    const failing = await makeReceiver([], { status: 503, body: "down" });
    const off = await makeReceiver();
    const ok = await createChannel({ kind: "webhook", url: good.url, test_schedule: "* * * * *" });
    const bad = await createChannel({ kind: "webhook", url: failing.url, test_schedule: "* * * * *" });
    const disabled = await createChannel({ kind: "webhook", url: off.url, test_schedule: "* * * * *", enabled: false });
    // Each is first due at the next minute after it was saved (the three may straddle a minute).
    const dueTimes = [ok, bad, disabled].map((c) => Date.parse(c.next_test_at!));
    expect(dueTimes.every((at) => at % MINUTE === 0 && at > Date.parse(ok.created_at))).toBe(true);
    const tick = Math.max(...dueTimes);

    expect(await sendDueChannelTests(env, Math.min(...dueTimes) - 1)).toEqual({ due: 0, sent: 0, failed: 0 });
    expect(await sendDueChannelTests(env, tick)).toEqual({ due: 3, sent: 2, failed: 1 });
    // The same minute again (a repeated or overlapping tick) finds nothing due.
    expect(await sendDueChannelTests(env, tick)).toEqual({ due: 0, sent: 0, failed: 0 });

    const delivered = await received(good.name);
    expect(delivered).toHaveLength(1);
    expect(JSON.parse(delivered[0]!.body)).toMatchObject({ type: "alert.test" });
    expect(await received(failing.name)).toHaveLength(1);
    expect(await received(off.name)).toHaveLength(0);

    expect((await channel(ok.id)).last_test).toMatchObject({ ok: true, status_code: 200, error: null, trigger: "scheduled" });
    expect((await channel(bad.id)).last_test).toMatchObject({ ok: false, status_code: 503, error: "The receiver answered HTTP 503.", trigger: "scheduled" });
    const skipped = await channel(disabled.id);
    expect(skipped.last_test).toBeNull();
    expect(skipped.next_test_at).toBe(new Date(tick + MINUTE).toISOString());
    // A test sent by hand is recorded the same way.
    expect((await call("POST", `/api/alerts/channels/${bad.id}/test`, { as: "operator" })).status).toBe(200);
    expect((await channel(bad.id)).last_test).toMatchObject({ ok: false, status_code: 503, trigger: "manual" });
  });

  it("sends a due test from the minute trigger", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url, test_schedule: "* * * * *" });
    await entry.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: nextMinute() }), env);
    expect(await received(receiver.name)).toHaveLength(1);
    expect((await channel(hook.id)).last_test).toMatchObject({ ok: true, trigger: "scheduled" });
  });
});

describe("the heartbeat URL", () => {
  it("is called on every minute tick, and Settings and health show how the last call went", async () => {
    const refused = await call("PUT", "/api/settings", { body: { heartbeat: { url: "ftp://monitor.example/ping" }, plans: { ttl_hours: 5 } } });
    expect(refused.status).toBe(400);
    expect(errorOf(refused).details.map((d) => d.path)).toEqual(["heartbeat.url"]);
    expect((await call<Settings>("GET", "/api/settings", { as: "viewer" })).body).toMatchObject({
      plans: { ttl_hours: 24 },
      heartbeat: { configured: false, url_hint: null },
    });
    expect((await health()).scheduler.heartbeat).toBeNull();

    const url = `${SANDBOX}/_config`;
    const set = await call<Settings>("PUT", "/api/settings", { body: { heartbeat: { url } } });
    expect(set.body.heartbeat).toEqual({ configured: true, url_hint: hintOf(url), last_at: null, last_ok: null, last_status: null, last_error: null });
    // Write-only: sealed in the ledger, and only its hint comes back.
    expect(await storedHeartbeatRow()).not.toContain("_config");
    expect(JSON.stringify((await call<Settings>("GET", "/api/settings", { as: "viewer" })).body)).not.toContain(url);

    const scheduledTime = nextMinute();
    await entry.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime }), env);
    const after = (await call<Settings>("GET", "/api/settings", { as: "viewer" })).body.heartbeat;
    expect(after).toMatchObject({ configured: true, last_ok: true, last_status: 200, last_error: null });
    expect(Date.parse(after.last_at!)).toBeGreaterThan(0);
    expect((await health()).scheduler.heartbeat).toEqual({ last_at: after.last_at, last_ok: true, last_status: 200 });

    // A monitor that answers an error is recorded as failing; health shows the status but neither URL nor text.
    const missing = `${SANDBOX}/no-such-monitor`;
    await call("PUT", "/api/settings", { body: { heartbeat: { url: missing } } });
    await entry.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: scheduledTime + MINUTE }), env);
    const failed = (await call<Settings>("GET", "/api/settings", { as: "viewer" })).body.heartbeat;
    expect(failed).toMatchObject({ url_hint: hintOf(missing), last_ok: false, last_status: 404, last_error: "The monitor answered HTTP 404." });
    const publicView = await health();
    expect(publicView.scheduler.heartbeat).toMatchObject({ last_ok: false, last_status: 404 });
    expect(JSON.stringify(publicView)).not.toContain("no-such-monitor");

    // The rules are checked again at each call: a deployment that became stricter calls nothing and says why.
    expect(await heartbeatPass({ ...env, ENVIRONMENT: "production", SANDBOX: "off" })).toMatchObject({ ok: false, status: null });
    expect((await call<Settings>("GET", "/api/settings", { as: "viewer" })).body.heartbeat.last_error).toMatch(/^The heartbeat URL is not allowed: /);

    const off = await call<Settings>("PUT", "/api/settings", { body: { heartbeat: { url: null } } });
    expect(off.body.heartbeat).toEqual({ configured: false, url_hint: null, last_at: null, last_ok: null, last_status: null, last_error: null });
  });

  it("stored in plain text before it was sealed, is still called and sealed by the next minute tick", async () => {
    const url = `${SANDBOX}/_config`;
    await env.LEDGER.prepare("INSERT OR REPLACE INTO settings (key, value_json, updated_at) VALUES ('heartbeat.url', ?1, 0)").bind(JSON.stringify(url)).run();
    expect((await call<Settings>("GET", "/api/settings", { as: "viewer" })).body.heartbeat).toMatchObject({ configured: true, url_hint: hintOf(url) });

    expect(await heartbeatPass(env)).toMatchObject({ ok: true, status: 200 });
    expect(await storedHeartbeatRow()).not.toContain("_config");
    expect(JSON.parse((await storedHeartbeatRow())!)).toEqual({ ciphertext: expect.stringMatching(/^v2:/), hint: hintOf(url) });
    // Sealed, it is called as before.
    expect(await heartbeatPass(env)).toMatchObject({ ok: true, status: 200 });
  });
});

function hintOf(url: string): string {
  return `${new URL(url).origin}/••••${url.slice(-4)}`;
}

async function storedHeartbeatRow(): Promise<string | null> {
  const row = await env.LEDGER.prepare("SELECT value_json FROM settings WHERE key = 'heartbeat.url'").first<{ value_json: string }>();
  return row?.value_json ?? null;
}

async function health(): Promise<HealthResponse> {
  return (await call<HealthResponse>("GET", "/api/health", { as: null })).body;
}
