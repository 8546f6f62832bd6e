import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import cleanup from "../../../migrations/0032_drop_deleted_connections_from_alert_scopes.sql?raw";
import type { AlertChannel, AlertRule } from "../../../worker/schemas/alerts";
import type { Page } from "../../../worker/schemas/types";
import { call } from "../api/config-api";
import { createChannel, createRule, RECEIVER, unique } from "../alerts/support";
import { makeConnection, makeCredential } from "../factories";

async function rule(id: string): Promise<AlertRule> {
  const rules = (await call<Page<AlertRule>>("GET", "/api/alerts/rules")).body.data;
  return rules.find((entry) => entry.id === id)!;
}

async function channelScope(id: string): Promise<string[] | null | undefined> {
  const channel = (await call<AlertChannel>("GET", `/api/alerts/channels/${id}`)).body;
  return channel.kind === "webhook" ? channel.config.connection_ids : undefined;
}

describe("deleting a connection", () => {
  it("takes it out of every rule's and webhook channel's scope, so the rule can be edited again", async () => {
    const credential = await makeCredential();
    const gone = await makeConnection(credential);
    const kept = await makeConnection(credential, { position: 2 });
    const both = await createChannel({ kind: "webhook", url: `${RECEIVER}/${unique("both")}`, connection_ids: [gone.id, kept.id] });
    const onlyGone = await createChannel({ kind: "webhook", url: `${RECEIVER}/${unique("gone")}`, connection_ids: [gone.id] });
    const everyConnection = await createChannel({ kind: "webhook", url: `${RECEIVER}/${unique("all")}` });
    const bothRule = await createRule({ channel_id: both.id, connection_ids: [gone.id, kept.id] });
    const goneRule = await createRule({ channel_id: both.id, connection_ids: [gone.id] });
    const allRule = await createRule({ channel_id: both.id });

    expect((await call("DELETE", `/api/connections/${gone.id}`)).status).toBe(204);

    expect((await rule(bothRule.id)).connection_ids).toEqual([kept.id]);
    expect((await rule(goneRule.id)).connection_ids).toEqual([]);
    expect((await rule(allRule.id)).connection_ids).toBeNull();
    expect(await channelScope(both.id)).toEqual([kept.id]);
    expect(await channelScope(onlyGone.id)).toEqual([]);
    expect(await channelScope(everyConnection.id)).toBeNull();

    // What the dashboard's form sends back when the scope is edited: only connections that exist.
    const edited = await call<AlertRule>("PATCH", `/api/alerts/rules/${bothRule.id}`, { body: { connection_ids: [kept.id], failure_threshold: 3 } });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
  });

  it("and migration 0032 takes out the ids connections deleted before left behind", async () => {
    const credential = await makeCredential();
    const kept = await makeConnection(credential);
    const channel = await createChannel({ kind: "webhook", url: `${RECEIVER}/${unique("old")}`, connection_ids: [kept.id] });
    const scoped = await createRule({ channel_id: channel.id, connection_ids: [kept.id] });
    // What a ledger written before the cleanup holds: the id of a connection deleted long ago.
    await env.LEDGER.prepare("UPDATE alert_rules SET connection_ids_json = json_array('conn_long_gone', ?1) WHERE id = ?2").bind(kept.id, scoped.id).run();
    await env.LEDGER.prepare(
      "UPDATE alert_channels SET config_json = json_set(config_json, '$.connection_ids', json_array(?1, 'conn_long_gone')) WHERE id = ?2",
    )
      .bind(kept.id, channel.id)
      .run();

    const statements = cleanup
      .replace(/--.*$/gm, "")
      .split(";")
      .map((statement) => statement.trim())
      .filter((statement) => statement !== "");
    expect(statements).toHaveLength(2);
    for (const statement of statements) await env.LEDGER.prepare(statement).run();

    expect((await rule(scoped.id)).connection_ids).toEqual([kept.id]);
    expect(await channelScope(channel.id)).toEqual([kept.id]);
  });
});
