import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import type { ConfigApplyResult } from "../../../worker/schemas/config-as-code";
import type { AlertChannel, AlertRule } from "../../../worker/schemas/alerts";
import type { Connection, ConnectionVersion, Credential, Page } from "../../../worker/schemas/types";
import { SANDBOX, call, createConnection, createCredential, errorOf, exported, plan, rowCount, unique, type Doc } from "./config-api";

// `renamed_from` in a configuration document: a rename keeps the entry's row (id, versions, secret, what refers to
// it) where a new name alone is a delete and a create. Each test edits the whole export of the shared database.

const named = (doc: Doc, section: string, name: string) => doc[section].find((entry: Doc) => entry.name === name);

async function fixture() {
  const credential = await createCredential({ scheme: "bearer", secret: "kept-secret-0001" });
  const connection = await createConnection(credential.id);
  const hook = await call<AlertChannel>("POST", "/api/alerts/channels", {
    body: { kind: "webhook", name: unique("Hook"), url: `${SANDBOX}/_receiver/rename`, connection_ids: [connection.id] },
  });
  // Made in the dashboard: the document calls it "<channel> / <condition>".
  const rule = await call<AlertRule>("POST", "/api/alerts/rules", { body: { channel_id: hook.body.id, connection_ids: [connection.id] } });
  return { credential, connection, hook: hook.body, rule: rule.body };
}

async function apply(document: unknown): Promise<ConfigApplyResult> {
  const res = await call<ConfigApplyResult>("POST", "/api/config/apply", { body: { document } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

describe("renamed_from", () => {
  it("renames a credential, its connection and a webhook in place: one name field each, ids, versions and the secret kept", async () => {
    const { credential, connection, hook, rule } = await fixture();
    const doc = await exported();
    const names = { credential: unique("Renamed credential"), connection: unique("Renamed connection"), hook: unique("Renamed hook") };
    Object.assign(named(doc, "credentials", credential.name), { name: names.credential, renamed_from: credential.name });
    for (const entry of doc.connections.filter((entry: Doc) => entry.credential === credential.name)) entry.credential = names.credential;
    Object.assign(named(doc, "connections", connection.name), { name: names.connection, renamed_from: connection.name });
    Object.assign(named(doc, "alert_channels", hook.name), { name: names.hook, renamed_from: hook.name });
    const ruleName = `${hook.name} / job_failed`;
    const newRefs = [{ credential: names.credential, name: names.connection }];
    named(doc, "alert_channels", names.hook).connections = newRefs;
    Object.assign(named(doc, "alert_rules", ruleName), { channel: names.hook, connections: newRefs });

    const planned = await plan(stringify(doc));
    expect(planned.changes).toEqual([
      {
        kind: "credential",
        name: names.credential,
        renamed_from: credential.name,
        action: "update",
        fields: [{ path: "name", before: credential.name, after: names.credential }],
      },
      {
        kind: "connection",
        name: names.connection,
        credential: names.credential,
        renamed_from: connection.name,
        action: "update",
        fields: [{ path: "name", before: connection.name, after: names.connection }],
      },
      { kind: "alert_channel", name: names.hook, renamed_from: hook.name, action: "update", fields: [{ path: "name", before: hook.name, after: names.hook }] },
    ]);
    // The secret stays with the row: apply does not ask for it again.
    expect(planned.secrets.find((secret) => secret.used_by.includes(`credential "${names.credential}"`))).toMatchObject({ required: false });

    const versionsBefore = await rowCount("connection_versions", "connection_id = ?1", connection.id);
    expect((await apply(stringify(doc))).summary).toMatchObject({ create: 0, update: 3, delete: 0 });

    const storedCredential = await call<Credential>("GET", `/api/credentials/${credential.id}`);
    expect(storedCredential.body).toMatchObject({ name: names.credential, has_secret: true, secret_hint: credential.secret_hint });
    expect((await call<Connection>("GET", `/api/connections/${connection.id}`)).body).toMatchObject({ name: names.connection, credential_id: credential.id });
    const versions = await call<Page<ConnectionVersion>>("GET", `/api/connections/${connection.id}/versions`);
    expect(versions.body.data).toHaveLength(versionsBefore + 1);
    expect(versions.body.data[0]).toMatchObject({ snapshot: expect.objectContaining({ name: names.connection }) });
    const channel = await call<AlertChannel>("GET", `/api/alerts/channels/${hook.id}`);
    expect(channel.body).toMatchObject({ name: names.hook, config: expect.objectContaining({ connection_ids: [connection.id] }) });
    const rules = await call<Page<AlertRule>>("GET", "/api/alerts/rules?limit=500");
    expect(rules.body.data.find((entry) => entry.id === rule.id)).toMatchObject({ channel_id: hook.id, connection_ids: [connection.id] });

    // The document keeps saying renamed_from, and now matches by name; the rule made in the dashboard keeps the
    // name the document calls it by although its channel's name changed.
    expect((await plan(doc)).changes).toEqual([]);
    const after = await exported();
    expect(named(after, "alert_rules", ruleName)).toMatchObject({ channel: names.hook });
    expect(JSON.stringify(after)).not.toContain("renamed_from");
  });

  it("creates the entry when nothing has the old name, and matches by name once the new one exists", async () => {
    await fixture();
    const doc = await exported();
    const name = unique("Fresh credential");
    doc.credentials.push({ name, scheme: "none", config: {}, renamed_from: "No credential by this name" });
    const created = await plan(doc);
    expect(created.changes).toEqual([expect.objectContaining({ kind: "credential", name, action: "create" })]);
    expect(created.changes[0]).not.toHaveProperty("renamed_from");
    await apply(doc);

    // Both names stored now: the document's entry is the one with its name; the other is left out, so deleted.
    const other = await createCredential({ name: unique("Old name") });
    const both = await exported();
    named(both, "credentials", name).renamed_from = other.name;
    both.credentials = both.credentials.filter((entry: Doc) => entry.name !== other.name);
    expect((await plan(both)).changes).toEqual([expect.objectContaining({ kind: "credential", name: other.name, action: "delete" })]);
  });

  it("renames a credential in a document that leaves its connections unmanaged: they stay with it", async () => {
    const { credential, connection } = await fixture();
    const doc = await exported();
    const name = unique("Credentials only");
    Object.assign(named(doc, "credentials", credential.name), { name, renamed_from: credential.name });

    const planned = await plan({ version: 1, credentials: doc.credentials });
    expect(planned.changes).toEqual([expect.objectContaining({ kind: "credential", name, renamed_from: credential.name, action: "update" })]);
    await apply({ version: 1, credentials: doc.credentials });
    expect((await call<Connection>("GET", `/api/connections/${connection.id}`)).body).toMatchObject({ credential_id: credential.id, credential_name: name });
  });

  it("refuses a rename whose old name is listed too, or two entries renamed from one, naming the field; nothing is written", async () => {
    const { credential, hook } = await fixture();
    const doc = await exported();
    const index = doc.credentials.findIndex((entry: Doc) => entry.name === credential.name);
    const kept = structuredClone(doc.credentials[index]);
    doc.credentials.push({ ...kept, name: unique("Copy"), renamed_from: credential.name });
    const channelIndex = doc.alert_channels.findIndex((entry: Doc) => entry.name === hook.name);
    const channel = doc.alert_channels[channelIndex];
    doc.alert_channels.splice(
      channelIndex,
      1,
      { ...channel, name: unique("First"), renamed_from: hook.name },
      { ...channel, name: unique("Second"), renamed_from: hook.name },
    );

    const res = await call("POST", "/api/config/apply", { body: { document: doc } });
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual(
      expect.arrayContaining([
        {
          path: `credentials[${doc.credentials.length - 1}].renamed_from`,
          message: `"${credential.name}" is listed too: an entry is either renamed or kept, not both`,
          in: "body",
        },
        { path: `alert_channels[${channelIndex + 1}].renamed_from`, message: `another entry is renamed from "${hook.name}" too`, in: "body" },
      ]),
    );
    expect((await call<AlertChannel>("GET", `/api/alerts/channels/${hook.id}`)).body.name).toBe(hook.name);
  });
});
