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
    expect(slackMessages[0]!.text).toContain("🔴 Sync failing: Salesforce → Snowflake");
    expect(slackMessages[0]!.blocks[0]).toMatchObject({ type: "header", text: { type: "plain_text" } });
    expect(JSON.stringify(slackMessages[0])).toContain("*Consecutive failures*\\n2 (alert after 2)");
    expect(slackMessages[1]!.text).toContain("✅ Sync recovered: Salesforce → Snowflake");

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

describe("an incident judged outside a job (the freshness tick, a destination)", () => {
  it("opens, moves and resolves once each, one notification per change, and a repeated pass changes nothing", async () => {
    const connection = await makeConnection(await makeCredential(), { name: "Fleet → CRM" });
    const receiver = await makeReceiver();
    const slack = await createChannel({ kind: "slack", webhook_url: receiver.url });
    const created = await createRule({ channel_id: slack.id, condition: "freshness" });
    const pass = async (level: AlertLevel, repeat = false) => {
      const { rules } = await loadFanOutTargets(env.LEDGER);
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
    expect(sent[0]).toContain("Data not fresh: Fleet → CRM");
    expect(sent[2]).toContain("Fleet → CRM");
    expect(await openIncidentsOf(env.LEDGER, ["freshness"])).toEqual([]);
  }, 30_000);
});
