import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { applyConfig } from "../../../worker/config-as-code/apply";
import { planDocument } from "../../../worker/config-as-code/config-plan";
import type { ConfigApplyResult } from "../../../worker/schemas/config-as-code";
import { configDocumentSchema } from "../../../worker/schemas/config-document";
import type { Connection, ConnectionVersion, Credential, Page } from "../../../worker/schemas/types";
import { SANDBOX, call, createConnection, createCredential, errorOf, exported, plan, unique, type Doc } from "./config-api";

// Configuration as code through /api/config: export, plan and apply of one document keyed by name. Every test
// works on the whole export, since the tests of this file share one database.

// The export lists entries in its own order (by name, connections by credential and position).
const sortedKeys = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
const unordered = (doc: Doc) =>
  Object.fromEntries(Object.entries(doc).map(([key, value]) => [key, Array.isArray(value) ? value.map(sortedKeys).sort() : value]));

const connectionIn = (doc: Doc, name: string) => doc.connections.find((entry: Doc) => entry.name === name);

async function fixture() {
  const credential = await createCredential({ scheme: "bearer", secret: "first-secret-0001" });
  const connection = await createConnection(credential.id, { schedule: "0 * * * *", freshness_sla_minutes: 90 });
  return { credential, connection };
}

describe("export", () => {
  it("writes every credential, connection, channel and rule by name, with secret references and no secret", async () => {
    const { credential, connection } = await fixture();
    const channel = await call<{ id: string; name: string }>("POST", "/api/alerts/channels", {
      body: { kind: "slack", name: unique("Slack"), webhook_url: `${SANDBOX}/_receiver/slack-secret-url` },
    });
    await call("POST", "/api/alerts/rules", { body: { channel_id: channel.body.id, connection_ids: [connection.id], failure_threshold: 2 } });

    const yaml = await call<string>("GET", "/api/config/export");
    expect(yaml.headers.get("content-type")).toContain("text/yaml");
    expect(yaml.body).not.toContain("first-secret-0001");
    expect(yaml.body).not.toContain("slack-secret-url");
    const doc = parse(yaml.body) as Doc;
    expect(configDocumentSchema.safeParse(doc).success).toBe(true);
    expect(doc.credentials.find((entry: Doc) => entry.name === credential.name)).toEqual({
      name: credential.name,
      scheme: "bearer",
      config: {},
      secret: { secret: expect.stringMatching(/^CREDENTIAL_.*_SECRET$/) },
    });
    expect(connectionIn(doc, connection.name)).toMatchObject({
      credential: credential.name,
      position: 1,
      enabled: true,
      dry_run: true,
      schedule: "0 * * * *",
      freshness_sla_minutes: 90,
      config: { limits: { concurrency: 2 } },
    });
    expect(doc.alert_channels.find((entry: Doc) => entry.name === channel.body.name)).toMatchObject({
      kind: "slack",
      webhook_url: { secret: expect.stringMatching(/_WEBHOOK_URL$/) },
    });
    expect(doc.alert_rules.find((entry: Doc) => entry.channel === channel.body.name)).toMatchObject({
      name: `${channel.body.name} / job_failed`,
      connections: [{ credential: credential.name, name: connection.name }],
      failure_threshold: 2,
    });
  });
});

describe("plan", () => {
  it("shows no change for the document just exported, as YAML text or JSON, with the same plan id", async () => {
    await fixture();
    const doc = await exported();
    const fromObject = await plan(doc);
    expect(fromObject.summary).toMatchObject({ create: 0, update: 0, delete: 0 });
    expect(fromObject.changes).toEqual([]);
    expect((await plan(stringify(doc))).plan_id).toBe(fromObject.plan_id);
  });

  it("shows exactly the one field edited, and a deletion for an entry left out", async () => {
    const { connection } = await fixture();
    const other = await fixture();
    const doc = await exported();
    connectionIn(doc, connection.name).config.limits.concurrency = 5;
    doc.connections = doc.connections.filter((entry: Doc) => entry.name !== other.connection.name);

    const result = await plan(doc);
    expect(result.changes).toEqual([
      {
        kind: "connection",
        name: connection.name,
        credential: expect.any(String),
        action: "update",
        fields: [{ path: "config.limits.concurrency", before: 2, after: 5 }],
      },
      expect.objectContaining({ kind: "connection", name: other.connection.name, action: "delete" }),
    ]);
    expect(result.summary).toMatchObject({ update: 1, delete: 1, create: 0 });
  });

  it("takes back its own export after every connection a rule and a webhook named was deleted", async () => {
    const { connection } = await fixture();
    const hook = await call<{ id: string; name: string }>("POST", "/api/alerts/channels", {
      body: { kind: "webhook", name: unique("Scoped hook"), url: `${SANDBOX}/_receiver/hook`, connection_ids: [connection.id] },
    });
    await call("POST", "/api/alerts/rules", { body: { channel_id: hook.body.id, connection_ids: [connection.id] } });
    expect((await call("DELETE", `/api/connections/${connection.id}`)).status).toBe(204);

    const doc = await exported();
    const channelEntry = doc.alert_channels.find((entry: Doc) => entry.name === hook.body.name);
    expect(channelEntry.connections).toEqual([]);
    expect(doc.alert_rules.find((entry: Doc) => entry.channel === hook.body.name)).toMatchObject({ name: `${hook.body.name} / job_failed`, connections: [] });
    const again = await plan(doc);
    expect(again.changes).toEqual([]);
    expect((await plan(stringify(doc))).plan_id).toBe(again.plan_id);
  });

  it("refuses to delete a channel that rules the document leaves unmanaged still use, which would delete them unseen", async () => {
    await fixture();
    const channel = await call<{ id: string; name: string }>("POST", "/api/alerts/channels", {
      body: { kind: "webhook", name: unique("Doomed hook"), url: `${SANDBOX}/_receiver/doomed` },
    });
    await call("POST", "/api/alerts/rules", { body: { channel_id: channel.body.id } });
    // A rule made in the dashboard has no name of its own: the document calls it "<channel> / <condition>".
    const ruleName = `${channel.body.name} / job_failed`;
    const doc = await exported();
    const withoutChannel = { version: 1, alert_channels: doc.alert_channels.filter((entry: Doc) => entry.name !== channel.body.name) };

    const refused = await call("POST", "/api/config/plan", { body: { document: withoutChannel } });
    expect(refused.status).toBe(400);
    expect(errorOf(refused).details).toContainEqual({
      path: "alert_channels",
      message: `"${channel.body.name}" is used by the alert rule "${ruleName}": list the alert rules too, or keep the channel`,
      in: "body",
    });
    // With its rules listed (and this one left out), the plan shows both deletions.
    const managed = await plan({ ...withoutChannel, alert_rules: doc.alert_rules.filter((entry: Doc) => entry.channel !== channel.body.name) });
    expect(managed.changes.filter((change) => change.action === "delete").map((change) => [change.kind, change.name])).toEqual([
      ["alert_channel", channel.body.name],
      ["alert_rule", ruleName],
    ]);
  });

  it("refuses an invalid document with 400 naming the path, and writes nothing", async () => {
    await fixture();
    const doc = await exported();
    const index = doc.connections.length - 1;
    const valid = structuredClone(doc.connections[index]);
    doc.connections[index].config.fetch.url_template = "ftp://example.com/{serial}";
    const res = await call("POST", "/api/config/apply", { body: { document: doc } });
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toContainEqual(expect.objectContaining({ path: `connections[${index}].config.fetch.url_template` }));

    const text = await call("POST", "/api/config/plan", { body: { document: "version: 1\nconnections: [", format: "yaml" } });
    expect(text.status).toBe(400);
    expect(errorOf(text).details[0]).toMatchObject({ path: "document" });

    const unknownCredential = await call("POST", "/api/config/plan", {
      body: { document: { version: 1, connections: [{ ...valid, credential: "Nobody" }] } },
    });
    expect(errorOf(unknownCredential).details).toContainEqual(expect.objectContaining({ path: "connections[0].credential" }));
  });
});

describe("apply", () => {
  it("records a new version with the change note, and the export then equals the document", async () => {
    const { connection } = await fixture();
    const doc = await exported();
    connectionIn(doc, connection.name).config.limits.concurrency = 4;
    connectionIn(doc, connection.name).dry_run = false;
    const planned = await plan(doc);

    const res = await call<ConfigApplyResult>("POST", "/api/config/apply", {
      body: { document: stringify(doc), plan_id: planned.plan_id, change_note: "Raise concurrency" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.summary).toMatchObject({ update: 1, create: 0, delete: 0 });

    const after = await call<Connection>("GET", `/api/connections/${connection.id}`);
    expect(after.body).toMatchObject({ version: 2, dry_run: false, config: { limits: { concurrency: 4 } } });
    const history = await call<Page<ConnectionVersion>>("GET", `/api/connections/${connection.id}/versions`);
    expect(history.body.data[0]).toMatchObject({ version: 2, change_note: "Raise concurrency", changed_by: expect.stringContaining("admin") });
    expect(await exported()).toEqual(doc);
    expect((await plan(doc)).changes).toEqual([]);
  });

  it("creates entries by name, needs the secrets they reference, and deletes what the document leaves out", async () => {
    const { connection } = await fixture();
    const doc = await exported();
    const credentialName = unique("Created");
    doc.credentials.push({ name: credentialName, scheme: "api_key", config: { header_name: "X-Key" }, secret: { secret: "NEW_KEY" } });
    doc.connections.push({ ...connectionIn(doc, connection.name), name: "Made by a document", credential: credentialName, position: 1 });
    doc.alert_channels.push({
      name: unique("Hook"),
      kind: "webhook",
      url: `${SANDBOX}/_receiver/doc`,
      event_types: null,
      connections: null,
      enabled: false,
      test_schedule: null,
    });
    const channelName = doc.alert_channels.at(-1).name;
    doc.alert_rules.push({
      ...ruleDefaults,
      name: "Made by a document",
      channel: channelName,
      connections: [{ credential: credentialName, name: "Made by a document" }],
    });
    doc.connections = doc.connections.filter((entry: Doc) => entry.name !== connection.name);

    const missing = await call("POST", "/api/config/apply", { body: { document: doc } });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).details).toEqual([expect.objectContaining({ path: "secrets.NEW_KEY" })]);

    const res = await call<ConfigApplyResult>("POST", "/api/config/apply", { body: { document: doc, secrets: { NEW_KEY: "key-value-1234" } } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.summary).toMatchObject({ create: 4, delete: 1 });
    expect(res.body.generated_secrets).toEqual([{ kind: "alert_channel", name: channelName, secret: expect.stringMatching(/^whsec_/) }]);
    expect((await call("GET", `/api/connections/${connection.id}`)).status).toBe(404);
    const credentials = await call<Page<Credential>>("GET", "/api/credentials?limit=500");
    expect(credentials.body.data.find((entry) => entry.name === credentialName)).toMatchObject({
      has_secret: true,
      secret_hint: expect.stringMatching(/234$/),
    });

    const again = await exported();
    // The secret reference is named by the export, not kept from the document: equal but for secrets.
    again.credentials.find((entry: Doc) => entry.name === credentialName).secret = { secret: "NEW_KEY" };
    expect(unordered(again)).toEqual(unordered(JSON.parse(JSON.stringify(configDocumentSchema.parse(doc)))));
  });

  it("replaces the stored secret of an unchanged credential when its value is given, and refuses a secret the document does not reference", async () => {
    const { credential } = await fixture();
    const doc = await exported();
    const ref = doc.credentials.find((entry: Doc) => entry.name === credential.name).secret.secret as string;

    const stray = await call("POST", "/api/config/apply", { body: { document: doc, secrets: { NOT_REFERENCED: "x" } } });
    expect(errorOf(stray).details).toEqual([expect.objectContaining({ path: "secrets.NOT_REFERENCED" })]);
    const res = await call<ConfigApplyResult>("POST", "/api/config/apply", { body: { document: doc, secrets: { [ref]: "rotated-secret-9876" } } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.changes).toEqual([]);
    expect((await call<Credential>("GET", `/api/credentials/${credential.id}`)).body.secret_hint).toMatch(/876$/);
  });

  it("refuses with 409 plan_changed when the configuration moved since the plan, and writes nothing", async () => {
    const { connection } = await fixture();
    const doc = await exported();
    connectionIn(doc, connection.name).debug = true;
    const planned = await plan(doc);
    await call("PATCH", `/api/connections/${connection.id}`, { body: { schedule: "5 * * * *" } });

    const res = await call("POST", "/api/config/apply", { body: { document: doc, plan_id: planned.plan_id } });
    expect(res.status).toBe(409);
    expect(errorOf(res).code).toBe("plan_changed");
    expect((await call<Connection>("GET", `/api/connections/${connection.id}`)).body).toMatchObject({ version: 2, debug: false });
  });

  it("applies nothing when a row moves between the plan and the batch", async () => {
    const { connection } = await fixture();
    const doc = await exported();
    connectionIn(doc, connection.name).debug = true;
    doc.alert_channels.push({ name: unique("Late"), kind: "email", to: ["ops@example.com"], from: "alerts@example.com" });
    const planned = await planDocument(env, configDocumentSchema.parse(doc));
    await call("PATCH", `/api/connections/${connection.id}`, { body: { enabled: false } });

    const apply = applyConfig(env, { ...planned, secrets: {}, changedBy: "tests", changeNote: null, now: Date.now() });
    await expect(apply).rejects.toMatchObject({ code: "plan_changed" });
    expect((await exported()).alert_channels.map((entry: Doc) => entry.name)).not.toContain(doc.alert_channels.at(-1).name);
    expect((await call<Connection>("GET", `/api/connections/${connection.id}`)).body).toMatchObject({ version: 2, debug: false });
  });
});

const ruleDefaults = {
  condition: "job_failed",
  failure_threshold: 1,
  notify_recovery: true,
  enabled: true,
  severity: "critical",
  params: {},
  muted_until: null,
};
