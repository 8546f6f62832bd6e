import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AlertChannel, AlertDelivery } from "../../../worker/schemas/alerts";
import type { Page } from "../../../worker/schemas/types";
import { call, errorOf } from "../api/config-api";
import { makeConnection, makeCredential } from "../factories";
import { createChannel, makeReceiver, playRun, received, resetAlerts, settle, unique, verifySignature, waitFor } from "./support";

beforeEach(resetAlerts);
afterEach(() => {
  vi.restoreAllMocks();
});

const SLACK_TOKEN = "T0001/B0002/XxSecretSlackTokenxX";
const ROUTING_KEY = "R0UT1NGKEYabcdef0123456789abcdef";

describe("channel secrets", () => {
  it("show a whsec_ secret once, then only a hint, and never a Slack URL or routing key", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url });
    const slack = await createChannel({ kind: "slack", webhook_url: `${receiver.url}-slack/${SLACK_TOKEN}` });
    const pd = await createChannel({ kind: "pagerduty", routing_key: ROUTING_KEY, events_url: `${receiver.url}-pd` });
    expect(hook.secret).toMatch(/^whsec_/);
    expect(hook.secret_hint).toBe(`••••${hook.secret!.slice(-4)}`);
    expect(slack).not.toHaveProperty("secret");
    expect(slack.secret_hint).toBe(`••••${SLACK_TOKEN.slice(-4)}`);
    expect(pd.secret_hint).toBe(`••••${ROUTING_KEY.slice(-4)}`);
    expect(pd.config).toEqual({ events_url: `${receiver.url}-pd`, severity: "error" });

    const everything = JSON.stringify([
      (await call("GET", "/api/alerts/channels", { as: "viewer" })).body,
      (await call("GET", `/api/alerts/channels/${hook.id}`, { as: "viewer" })).body,
      (await call("GET", `/api/alerts/channels/${slack.id}`, { as: "viewer" })).body,
      (await call("GET", `/api/alerts/channels/${pd.id}`, { as: "viewer" })).body,
      (await call("PATCH", `/api/alerts/channels/${slack.id}`, { body: { name: unique("Renamed") } })).body,
    ]);
    expect(everything).not.toContain(hook.secret!.slice(6));
    expect(everything).not.toContain(SLACK_TOKEN);
    expect(everything).not.toContain(ROUTING_KEY);

    const stored = await env.LEDGER.prepare("SELECT config_json, secret_ciphertext FROM alert_channels").all<{
      config_json: string;
      secret_ciphertext: string | null;
    }>();
    const atRest = JSON.stringify(stored.results);
    expect(atRest).not.toContain(SLACK_TOKEN);
    expect(atRest).not.toContain(ROUTING_KEY);
    expect(atRest).not.toContain(hook.secret!.slice(6));
  });

  it("stay out of payloads, delivery records and logs, even when a receiver echoes the request", async () => {
    const logged: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
      });
    }
    const receiver = await makeReceiver([], { status: 400, echo: true });
    // No such inbox: the sandbox answers 404 with the full path, token included, like a server echoing the URL.
    const slackUrl = `${receiver.url}/${SLACK_TOKEN.replace(/\//g, "-")}`;
    const slack = await createChannel({ kind: "slack", webhook_url: slackUrl });
    const pd = await createChannel({ kind: "pagerduty", routing_key: ROUTING_KEY, events_url: receiver.url });
    await call("POST", "/api/alerts/rules", { body: { channel_id: slack.id } });
    await call("POST", "/api/alerts/rules", { body: { channel_id: pd.id } });
    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "Fleet" }, status: "failed" }] });
    await settle();
    await waitFor(
      "PagerDuty's first attempt",
      () => received(receiver.name),
      (r) => r.length >= 1,
    );

    const log = await call<Page<AlertDelivery>>("GET", "/api/alerts/deliveries", { as: "viewer" });
    expect(log.body.data.length).toBeGreaterThanOrEqual(2);
    const pdDelivery = log.body.data.find((d) => d.channel_id === pd.id)!;
    expect(pdDelivery.attempts[0]!.status_code).toBe(400);
    expect(pdDelivery.attempts[0]!.response_excerpt).toContain("[redacted]");
    const slackDelivery = log.body.data.find((d) => d.channel_id === slack.id)!;
    expect(slackDelivery.attempts[0]).toMatchObject({ status_code: 404, response_excerpt: expect.stringContaining("[redacted]") });
    const detail = await call("GET", `/api/alerts/deliveries/${pdDelivery.id}`, { as: "viewer" });
    const rows = await env.LEDGER.prepare(
      "SELECT d.payload_json, a.response_excerpt, a.error FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id",
    ).all();
    for (const text of [JSON.stringify(log.body), JSON.stringify(detail.body), JSON.stringify(rows.results), logged.join("\n")]) {
      expect(text).not.toContain(ROUTING_KEY);
      expect(text).not.toContain(SLACK_TOKEN.replace(/\//g, "-"));
    }
  });
});

describe("rotating a webhook secret", () => {
  it("returns the new secret once and signs with both until the grace period ends", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url, event_types: ["run.status_changed"] });
    const rotated = await call<AlertChannel & { secret: string }>("POST", `/api/alerts/channels/${hook.id}/rotate-secret`, { body: { grace_hours: 1 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(rotated.body.secret_rotation_ends_at).not.toBeNull();

    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    await settle();
    const [request] = await received(receiver.name);
    expect(request!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(await verifySignature(rotated.body.secret, request!.headers, request!.body)).toBe(true);
    expect(await verifySignature(hook.secret!, request!.headers, request!.body)).toBe(true);

    const immediate = await call<AlertChannel & { secret: string }>("POST", `/api/alerts/channels/${hook.id}/rotate-secret`, { body: { grace_hours: 0 } });
    expect(immediate.body.secret_rotation_ends_at).toBeNull();
    const noBody = await call<AlertChannel & { secret: string }>("POST", `/api/alerts/channels/${hook.id}/rotate-secret`);
    expect(noBody.status).toBe(200);
    expect(noBody.body.secret_rotation_ends_at).not.toBeNull();

    const slack = await createChannel({ kind: "slack", webhook_url: receiver.url });
    const refused = await call("POST", `/api/alerts/channels/${slack.id}/rotate-secret`, { body: {} });
    expect(refused.status).toBe(409);
  });
});

describe("test sends", () => {
  it("reach the receiver at once and report what it answered; operators may send, viewers may not", async () => {
    const receiver = await makeReceiver([{ status: 500, body: "nope" }]);
    const hook = await createChannel({ kind: "webhook", url: receiver.url });
    expect((await call("POST", `/api/alerts/channels/${hook.id}/test`, { as: "viewer" })).status).toBe(403);

    const failed = await call<{ ok: boolean; attempts: Array<{ status_code: number; response_excerpt: string }> }>(
      "POST",
      `/api/alerts/channels/${hook.id}/test`,
      { as: "operator" },
    );
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({ ok: false, attempts: [{ status_code: 500, response_excerpt: "nope" }] });
    const ok = await call<{ ok: boolean }>("POST", `/api/alerts/channels/${hook.id}/test`, { as: "operator" });
    expect(ok.body.ok).toBe(true);

    const [, second] = await received(receiver.name);
    expect(JSON.parse(second!.body)).toMatchObject({ type: "alert.test", connection_name: "Test connection" });
    expect(await verifySignature(hook.secret!, second!.headers, second!.body)).toBe(true);
  });

  it("trigger and resolve a PagerDuty test incident", async () => {
    const receiver = await makeReceiver([], { status: 202 });
    const pd = await createChannel({ kind: "pagerduty", routing_key: ROUTING_KEY, events_url: receiver.url });
    const res = await call<{ ok: boolean; attempts: unknown[] }>("POST", `/api/alerts/channels/${pd.id}/test`, { as: "operator" });
    expect(res.body.ok).toBe(true);
    expect(res.body.attempts).toHaveLength(2);
    const actions = (await received(receiver.name)).map((r) => JSON.parse(r.body) as { event_action: string; dedup_key: string });
    expect(actions.map((a) => a.event_action)).toEqual(["trigger", "resolve"]);
    expect(actions[0]!.dedup_key).toBe(actions[1]!.dedup_key);
  });

  it("send an email through the send_email binding", async () => {
    const email = await createChannel({ kind: "email", to: ["oncall@example.com"], from: "alerts@example.com" });
    expect(email.config).toEqual({ to: ["oncall@example.com"], from: "alerts@example.com", from_name: "Outbound Sync" });
    const res = await call<{ ok: boolean; attempts: Array<{ error: string | null; response_excerpt: string }> }>(
      "POST",
      `/api/alerts/channels/${email.id}/test`,
      { as: "operator" },
    );
    expect(res.body.attempts[0]!.error).toBeNull();
    expect(res.body).toMatchObject({ ok: true, attempts: [{ response_excerpt: expect.stringMatching(/^Sent oncall@example\.com: /) }] });
  });
});

describe("bad input", () => {
  it("is refused with 400 naming each field, and nothing is stored", async () => {
    const before = await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM alert_channels").first<{ n: number }>();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ kind: "webhook", name: "x", url: "ftp://example.com/hook" }, "url"],
      [{ kind: "webhook", name: "x", url: "https://example.com/hook", secret: "whsec_mine" }, "secret"],
      [{ kind: "webhook", name: "x", url: "https://example.com", event_types: ["run.exploded"] }, "event_types[0]"],
      [{ kind: "slack", name: "x" }, "webhook_url"],
      [{ kind: "email", name: "x", to: ["not an address"], from: "alerts@example.com" }, "to[0]"],
      [{ kind: "carrier-pigeon", name: "x" }, "kind"],
      [{ kind: "pagerduty", name: "", routing_key: "k" }, "name"],
    ];
    for (const [body, field] of cases) {
      const res = await call("POST", "/api/alerts/channels", { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        errorOf(res).details?.map((d) => d.path),
        JSON.stringify(body),
      ).toContain(field);
    }
    const after = await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM alert_channels").first<{ n: number }>();
    expect(after!.n).toBe(before!.n);
  });

  it("names a field of another kind of channel, an unknown channel and unknown connections", async () => {
    const receiver = await makeReceiver();
    const slack = await createChannel({ kind: "slack", webhook_url: receiver.url });
    const misplaced = await call("PATCH", `/api/alerts/channels/${slack.id}`, {
      body: { url: "https://example.com", to: ["a@example.com"], connection_ids: null },
    });
    expect(misplaced.status).toBe(400);
    expect(errorOf(misplaced).details?.map((d) => d.path)).toEqual(["url", "connection_ids", "to"]);

    const credential = await makeCredential();
    const connection = await makeConnection(credential);
    const rule = await call("POST", "/api/alerts/rules", {
      body: { channel_id: "chan_nope", connection_ids: [connection.id, "conn_nope"], failure_threshold: 0 },
    });
    expect(rule.status).toBe(400);
    expect(errorOf(rule).details?.map((d) => d.path)).toEqual(["failure_threshold"]);
    const rule2 = await call("POST", "/api/alerts/rules", { body: { channel_id: "chan_nope", connection_ids: [connection.id, "conn_nope"] } });
    expect(errorOf(rule2).details?.map((d) => d.path)).toEqual(["channel_id", "connection_ids[1]"]);

    const good = await call<{ connection_ids: string[]; failure_threshold: number; notify_recovery: boolean }>("POST", "/api/alerts/rules", {
      body: { channel_id: slack.id, connection_ids: [connection.id] },
    });
    expect(good.status).toBe(201);
    expect(good.body).toMatchObject({ connection_ids: [connection.id], condition: "job_failed", failure_threshold: 1, notify_recovery: true });
    const badCondition = await call("POST", "/api/alerts/rules", { body: { channel_id: slack.id, condition: "mismatch" } });
    expect(errorOf(badCondition).details?.map((d) => d.path)).toEqual(["condition"]);
    const mismatch = await call<{ id: string }>("POST", "/api/alerts/rules", {
      body: { channel_id: slack.id, condition: "verify_mismatch", failure_threshold: 5 },
    });
    expect(mismatch.body).toMatchObject({ condition: "verify_mismatch", failure_threshold: 5 });
    const drift = await call("PATCH", `/api/alerts/rules/${mismatch.body.id}`, { body: { condition: "drifted" } });
    expect(drift.body).toMatchObject({ condition: "drifted", failure_threshold: 5 });
    expect(good.body).toMatchObject({ severity: "critical", params: {}, muted_until: null });
    const misplacedParam = await call("PATCH", `/api/alerts/rules/${mismatch.body.id}`, { body: { params: { window: 5 } } });
    expect(errorOf(misplacedParam).details?.map((d) => d.path)).toEqual(["params.window"]);
    const snoozed = await call("PATCH", `/api/alerts/rules/${mismatch.body.id}`, {
      body: { condition: "slow_run", severity: "warning", params: { window: 5 }, muted_until: "2030-01-01T09:00:00+01:00" },
    });
    expect(snoozed.body).toMatchObject({ severity: "warning", params: { window: 5 }, muted_until: "2030-01-01T08:00:00.000Z", condition: "slow_run" });
    const badWatch = await call("PATCH", `/api/alerts/rules/${mismatch.body.id}`, {
      body: { severity: "page", params: { window: 1, bogus: 1 }, muted_until: "soon" },
    });
    expect(badWatch.status).toBe(400);
    expect(
      errorOf(badWatch)
        .details?.map((d) => d.path)
        .sort(),
    ).toEqual(["muted_until", "params.bogus", "params.window", "severity"]);
    expect((await call("GET", `/api/alerts/rules/${mismatch.body.id}`)).body).toMatchObject({ severity: "warning", params: { window: 5 } });

    const anomalyIssues = async (body: Record<string, unknown>) =>
      errorOf(await call("POST", "/api/alerts/rules", { body: { channel_id: slack.id, ...body } })).details?.map((d) => d.path);
    expect(await anomalyIssues({ condition: "volume_change", params: { factor: 3, metric: "updated", percent: 10 } })).toEqual(["params.factor"]);
    expect(await anomalyIssues({ condition: "slow_run", params: { factor: 3, percent: 10, metric: "in_scope" } })).toEqual(["params.percent", "params.metric"]);
    expect(await anomalyIssues({ condition: "missing_spike", params: { percent: 0 } })).toEqual(["params.percent"]);
    expect(await anomalyIssues({ condition: "missing_spike", params: { percent: 150, window: 4 } })).toEqual(["params.percent"]);
    const volume = await call<{ id: string }>("POST", "/api/alerts/rules", {
      body: { channel_id: slack.id, condition: "volume_change", params: { metric: "would_update", percent: 10, window: 6 } },
    });
    expect(volume.body).toMatchObject({ condition: "volume_change", params: { metric: "would_update", percent: 10, window: 6 } });
    // A new condition keeps only the parameters it reads.
    const spike = await call("PATCH", `/api/alerts/rules/${volume.body.id}`, { body: { condition: "missing_spike" } });
    expect(spike.body).toMatchObject({ condition: "missing_spike", params: { percent: 10, window: 6 } });
    expect((spike.body as { params: object }).params).not.toHaveProperty("metric");

    const duplicate = await call("POST", "/api/alerts/channels", { body: { kind: "slack", name: slack.name, webhook_url: receiver.url } });
    expect(duplicate.status).toBe(409);
  });

  it("scopes a webhook to existing connections only, and back to every connection with null", async () => {
    const receiver = await makeReceiver();
    const connection = await makeConnection(await makeCredential());
    const unknown = await call("POST", "/api/alerts/channels", {
      body: { kind: "webhook", name: unique("Scoped"), url: receiver.url, connection_ids: [connection.id, "conn_nope"] },
    });
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown).details?.map((d) => d.path)).toEqual(["connection_ids[1]"]);

    const hook = await createChannel({ kind: "webhook", url: receiver.url, connection_ids: [connection.id] });
    expect(hook.config.connection_ids).toEqual([connection.id]);
    const widened = await call<AlertChannel>("PATCH", `/api/alerts/channels/${hook.id}`, { body: { connection_ids: null } });
    expect(widened.status).toBe(200);
    expect(widened.body.config).toMatchObject({ url: receiver.url, connection_ids: null });
    const narrowed = await call<AlertChannel>("PATCH", `/api/alerts/channels/${hook.id}`, { body: { connection_ids: ["conn_gone"] } });
    expect(errorOf(narrowed).details?.map((d) => d.path)).toEqual(["connection_ids[0]"]);
  });

  it("refuses an edit that changes nothing, like the other PATCH routes", async () => {
    const receiver = await makeReceiver();
    const slack = await createChannel({ kind: "slack", webhook_url: receiver.url });
    const credential = await makeCredential();
    const rule = await call<{ id: string; updated_at: string }>("POST", "/api/alerts/rules", {
      body: { channel_id: slack.id, connection_ids: [(await makeConnection(credential)).id] },
    });
    for (const path of [`/api/alerts/channels/${slack.id}`, `/api/alerts/rules/${rule.body.id}`]) {
      const empty = await call("PATCH", path, { body: {} });
      expect(empty.status, path).toBe(400);
      expect(errorOf(empty).details?.[0]?.message, path).toMatch(/^give at least one/);
    }
    expect((await call<{ updated_at: string }>("GET", `/api/alerts/rules/${rule.body.id}`)).body.updated_at).toBe(rule.body.updated_at);
  });
});

describe("the delivery log", () => {
  it("pages newest first with a cursor and filters by channel and status", async () => {
    const receiver = await makeReceiver();
    const hook = await createChannel({ kind: "webhook", url: receiver.url });
    await playRun({ jobs: [{ connection: { id: unique("conn"), name: "A" }, status: "completed" }] });
    await settle();
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?channel_id=${hook.id}&status=succeeded&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page: { body: Page<AlertDelivery> } = await call<Page<AlertDelivery>>("GET", `/api/alerts/deliveries${query}`, { as: "viewer" });
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      ids.push(...page.body.data.map((d) => d.id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(ids).toHaveLength(5);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect((await call("GET", "/api/alerts/deliveries?cursor=garbage", { as: "viewer" })).status).toBe(400);
    expect((await call("GET", "/api/alerts/deliveries?status=lost", { as: "viewer" })).status).toBe(400);
  });
});
