import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueAlertEvents } from "../../../worker/alerts/alert-queue";
import type { AlertLevel } from "../../../worker/alerts/incident-state";
import { planOutsideTransition } from "../../../worker/alerts/outside-transitions";
import { commitAlertTransitions, openIncidentsOf } from "../../../worker/ledger/alert-transitions";
import { loadFanOutTargets } from "../../../worker/ledger/alerts-outbox";
import { newId } from "../../../worker/ledger/ids";
import type { PagerDutyEvent } from "../../../worker/alerts/pagerduty";
import type { SlackMessage } from "../../../worker/alerts/slack";
import { call } from "../api/config-api";
import { makeConnection, makeCredential } from "../factories";
import { createChannel, createRule, makeReceiver, playRun, received, resetAlerts, settle } from "./support";

beforeEach(resetAlerts);

const ROUTING_KEY = "R0UT1NGKEYabcdef0123456789abcdef";

describe("alert rules with a threshold of 2", () => {
  it("page Slack and PagerDuty on the second failure in a row, stay quiet on the third, and resolve on recovery", async () => {
    const credential = await makeCredential();
    const connection = await makeConnection(credential, { name: "Salesforce → Snowflake" });
    const other = await makeConnection(credential, { name: "HubSpot → Snowflake", position: 2 });
    const slackReceiver = await makeReceiver();
    const pdReceiver = await makeReceiver([], { status: 202, body: '{"status":"success","message":"Event processed"}' });
    const slack = await createChannel({ kind: "slack", webhook_url: slackReceiver.url });
    const pagerDuty = await createChannel({ kind: "pagerduty", routing_key: ROUTING_KEY, events_url: pdReceiver.url, severity: "critical" });
    await createRule({ channel_id: slack.id, connection_ids: [connection.id], failure_threshold: 2 });
    const pdRule = await createRule({ channel_id: pagerDuty.id, failure_threshold: 2 });

    const run = (status: "completed" | "failed", conn = connection) => playRun({ credentialId: credential.id, jobs: [{ connection: conn, status }] });
    const counts = async () => [(await received(slackReceiver.name)).length, (await received(pdReceiver.name)).length];

    await run("failed");
    await settle();
    expect(await counts()).toEqual([0, 0]);

    // Another connection's failure does not add to this one's streak.
    await run("failed", other);
    await settle();
    expect(await counts()).toEqual([0, 0]);

    await run("failed");
    await settle();
    expect(await counts()).toEqual([1, 1]);

    await run("failed");
    await settle();
    expect(await counts()).toEqual([1, 1]);

    const rule = await call<{ open_incidents: number }>("GET", `/api/alerts/rules/${pdRule.id}`, { as: "viewer" });
    expect(rule.body.open_incidents).toBe(1);

    await run("completed");
    await settle();
    expect(await counts()).toEqual([2, 2]);

    await run("completed");
    await settle();
    expect(await counts()).toEqual([2, 2]);

    const slackMessages = (await received(slackReceiver.name)).map((r) => JSON.parse(r.body) as SlackMessage);
    expect(slackMessages[0]!.text).toContain("🔴 Critical · Sync failing: Salesforce → Snowflake");
    expect(slackMessages[0]!.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text" } });
    expect(JSON.stringify(slackMessages[0])).toContain("*Consecutive failures*\\n2 (alert after 2)");
    expect(slackMessages[1]!.text).toContain("✅ Resolved · Sync recovered: Salesforce → Snowflake");

    const pdEvents = (await received(pdReceiver.name)).map((r) => JSON.parse(r.body) as PagerDutyEvent);
    expect(pdEvents[0]).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: "trigger",
      dedup_key: `outbound-sync/${pdRule.id}/${connection.id}`,
      payload: { severity: "critical", source: "outbound-sync", component: "Salesforce → Snowflake" },
    });
    expect(pdEvents[1]).toEqual({ routing_key: ROUTING_KEY, event_action: "resolve", dedup_key: `outbound-sync/${pdRule.id}/${connection.id}` });

    // The delivery log shows the alerts, and never the routing key PagerDuty needed in its body.
    const log = await call("GET", `/api/alerts/deliveries?channel_id=${pagerDuty.id}`, { as: "viewer" });
    expect(JSON.stringify(log.body)).not.toContain(ROUTING_KEY);
    expect((log.body as { data: Array<{ event_type: string }> }).data.map((d) => d.event_type)).toEqual(["alert.resolved", "alert.raised"]);
  }, 30_000);
});

describe("a connection's alert mute and routing", () => {
  it("send nothing while the connection is muted yet keep its incident, then send to the routed channel only", async () => {
    const credential = await makeCredential();
    const connection = await makeConnection(credential, { name: "Muted → Routed" });
    const ruleReceiver = await makeReceiver();
    const routeReceiver = await makeReceiver();
    const ruleChannel = await createChannel({ kind: "slack", webhook_url: ruleReceiver.url });
    const routeChannel = await createChannel({ kind: "slack", webhook_url: routeReceiver.url });
    const rule = await createRule({ channel_id: ruleChannel.id });
    const run = (status: "completed" | "failed") => playRun({ credentialId: credential.id, jobs: [{ connection, status }] });
    const counts = async () => [(await received(ruleReceiver.name)).length, (await received(routeReceiver.name)).length];

    const until = new Date(Date.now() + 3_600_000).toISOString();
    expect((await call("PUT", `/api/connections/${connection.id}/alerts-mute`, { as: "viewer", body: { until } })).status).toBe(403);
    const muted = await call("PUT", `/api/connections/${connection.id}/alerts-mute`, { as: "operator", body: { until } });
    expect(muted.body).toEqual({ connection_id: connection.id, alerts_muted_until: until });
    expect((await call("GET", `/api/connections/${connection.id}`, { as: "viewer" })).body).toMatchObject({ alerts_muted_until: until });

    await run("failed");
    await settle();
    expect(await counts()).toEqual([0, 0]);
    expect((await call("GET", `/api/alerts/rules/${rule.id}`, { as: "viewer" })).body).toMatchObject({ open_incidents: 1 });

    await call("PUT", `/api/connections/${connection.id}/alerts-mute`, { as: "operator", body: { until: null } });
    const routes = await call("PUT", `/api/connections/${connection.id}/alert-routes`, {
      body: { routes: [{ rule_id: rule.id, channel_id: routeChannel.id }] },
    });
    expect(routes.status).toBe(200);
    expect(routes.body).toMatchObject({ data: [{ rule_id: rule.id, channel_id: routeChannel.id, channel_name: routeChannel.name, channel_kind: "slack" }] });

    // The incident opened while muted resolves to the routed channel; the next failure is raised there too.
    await run("completed");
    await run("failed");
    await settle();
    expect(await counts()).toEqual([0, 2]);

    const cleared = await call("PUT", `/api/connections/${connection.id}/alert-routes`, { body: { routes: [] } });
    expect(cleared.body).toEqual({ data: [] });
    await run("completed");
    await settle();
    expect(await counts()).toEqual([1, 2]);
  }, 30_000);

  it("refuse a mute in the past, and routes naming an unknown or unwatching rule, an unknown channel or a rule twice", async () => {
    const credential = await makeCredential();
    const connection = await makeConnection(credential);
    const other = await makeConnection(credential, { position: 2 });
    const receiver = await makeReceiver();
    const channel = await createChannel({ kind: "slack", webhook_url: receiver.url });
    const everywhere = await createRule({ channel_id: channel.id });
    const elsewhere = await createRule({ channel_id: channel.id, connection_ids: [other.id] });
    const paths = (res: Awaited<ReturnType<typeof call>>) => (res.body as { error: { details: Array<{ path: string }> } }).error.details.map((d) => d.path);

    const past = await call("PUT", `/api/connections/${connection.id}/alerts-mute`, { body: { until: "2020-01-01T00:00:00Z" } });
    expect(past.status).toBe(400);
    expect(paths(past)).toEqual(["until"]);
    expect((await call("PUT", "/api/connections/conn_nope/alerts-mute", { body: { until: null } })).status).toBe(404);

    const bad = await call("PUT", `/api/connections/${connection.id}/alert-routes`, {
      body: {
        routes: [
          { rule_id: "rule_nope", channel_id: channel.id },
          { rule_id: elsewhere.id, channel_id: channel.id },
          { rule_id: everywhere.id, channel_id: "chan_nope" },
          { rule_id: everywhere.id, channel_id: channel.id },
        ],
      },
    });
    expect(bad.status).toBe(400);
    expect(paths(bad)).toEqual(["routes[0].rule_id", "routes[1].rule_id", "routes[2].channel_id", "routes[3].rule_id"]);
    expect((await call("PUT", `/api/connections/${connection.id}/alert-routes`, { as: "operator", body: { routes: [] } })).status).toBe(403);
    expect((await call("GET", `/api/connections/${connection.id}/alert-routes`, { as: "viewer" })).body).toEqual({ data: [] });
    expect((await call("GET", "/api/connections/conn_nope/alert-routes", { as: "viewer" })).status).toBe(404);
  });
});

describe("an incident judged outside a job (the freshness tick, a destination)", () => {
  it("opens, moves and resolves once each, one notification per change, and a repeated pass changes nothing", async () => {
    const connection = await makeConnection(await makeCredential(), { name: "Fleet → CRM" });
    const receiver = await makeReceiver();
    const slack = await createChannel({ kind: "slack", webhook_url: receiver.url });
    const created = await createRule({ channel_id: slack.id, condition: "freshness" });
    const pass = async (level: AlertLevel, repeat = false) => {
      const { rules } = await loadFanOutTargets(env.LEDGER, Date.now());
      const rule = rules.find((r) => r.id === created.id)!;
      const open = (await openIncidentsOf(env.LEDGER, ["freshness"])).find((i) => i.ruleId === rule.id && i.connectionId === connection.id) ?? null;
      const now = Date.now();
      const judge = () =>
        planOutsideTransition({
          rule,
          subject: connection.id,
          open,
          level,
          channelKind: "slack",
          connection: { id: connection.id, name: connection.name, credential_name: null },
          summary: `no success for a while (${level})`,
          now,
          publicUrl: "https://sync.example.com",
          newEventId: () => newId("evt", now),
        });
      const item = judge();
      if (item === null) return [];
      const ids = await commitAlertTransitions(env.LEDGER, [item], now);
      // The same judgement from a pass that read the incident before this one moved it writes nothing.
      if (repeat) expect(await commitAlertTransitions(env.LEDGER, [judge()!], now + 1)).toEqual([]);
      await enqueueAlertEvents(env, ids);
      await settle();
      return ids;
    };
    const texts = async () => (await received(receiver.name)).map((r) => (JSON.parse(r.body) as SlackMessage).text);

    expect(await pass("ok")).toEqual([]);
    expect(await pass("warning", true)).toHaveLength(1);
    expect(await pass("warning")).toEqual([]);
    expect(await pass("critical", true)).toHaveLength(1);
    expect(await pass("ok", true)).toHaveLength(1);
    expect(await pass("ok")).toEqual([]);
    const sent = await texts();
    expect(sent).toHaveLength(3);
    expect(sent[0]).toContain("🟠 Warning · Data not fresh: Fleet → CRM");
    expect(sent[1]).toContain("🔴 Critical · Data not fresh: Fleet → CRM");
    expect(sent[2]).toContain("✅ Resolved · Data not fresh: Fleet → CRM");
    expect(await openIncidentsOf(env.LEDGER, ["freshness"])).toEqual([]);
  }, 30_000);
});

describe("an anomaly rule judged against the connection's recent runs in the ledger", () => {
  it("raises once on a destination missing spike with the numbers and the seed's hint, ignores a single-serial run, and resolves when the share is normal again", async () => {
    const credential = await makeCredential();
    const connection = await makeConnection(credential, { name: "Fleet → Asset register" });
    const receiver = await makeReceiver();
    const slack = await createChannel({ kind: "slack", webhook_url: receiver.url });
    await createRule({ channel_id: slack.id, condition: "missing_spike", severity: "warning", connection_ids: [connection.id] });
    const run = (missing: number, inScope = 100, type: "full" | "single" = "full") =>
      playRun({
        credentialId: credential.id,
        type,
        jobs: [{ connection, status: "completed", counters: { in_scope: inScope, processed: inScope, missing_destination: missing } }],
      });
    const texts = async () => (await received(receiver.name)).map((r) => JSON.stringify(JSON.parse(r.body) as SlackMessage));

    for (const missing of [2, 3, 2]) await run(missing);
    // One serial that the destination does not have is 100 % missing, but a single-serial run is no fleet.
    await run(1, 1, "single");
    await settle();
    expect(await texts()).toEqual([]);

    await run(40);
    await settle();
    await run(35);
    await settle();
    let sent = await texts();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain("Destination missing spike: Fleet → Asset register");
    expect(sent[0]).toContain("Missing Destination 40 of 100 in scope (40%), 38 points above the median 2% of the last 3 completed runs (alert at +20 points)");
    expect(sent[0]).toContain("Lookup path does not expose serial fields consistently — review fetch contract endpoint and destination serial visibility");

    await run(3);
    await settle();
    sent = await texts();
    expect(sent).toHaveLength(2);
    expect(sent[1]).toContain("Fleet → Asset register");
    expect(await openIncidentsOf(env.LEDGER, ["missing_spike"])).toEqual([]);
  }, 30_000);
});
