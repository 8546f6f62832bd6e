import type { FieldIssue } from "../domain-errors";
import type { ConfigKind, ConnectionRef } from "../schemas/config-document";
import { connectionKey, type DesiredConfig, type RenameRequest, type Stored, type StoredConfig } from "./entries";

// `renamed_from` in a document: which stored entries it renames, and the stored configuration as it reads once
// they are renamed, so the plan matches each renamed entry to its row (a `name` change, not a delete and a create)
// and entries that refer to it (a credential's connections, a channel's rules, rules' and webhooks' scopes) show no
// change. An entry keeps its own old name here: the diff then shows the rename field by field.

// Per kind, the stored entry's key (a connection's: its credential's new name and its own old name) → the new key.
export interface RenameMaps {
  credentials: Map<string, string>;
  connections: Map<string, string>;
  channels: Map<string, string>;
  rules: Map<string, string>;
}

export interface ResolvedRenames {
  renames: RenameMaps;
  // The stored configuration with every reference to a renamed entry under its new name.
  stored: StoredConfig;
  issues: FieldIssue[];
}

const SECTION: Record<ConfigKind, string> = {
  credential: "credentials",
  connection: "connections",
  alert_channel: "alert_channels",
  alert_rule: "alert_rules",
};

export function resolveRenames(desired: DesiredConfig, stored: StoredConfig): ResolvedRenames {
  const issues: FieldIssue[] = [];
  const requests = (kind: ConfigKind) => desired.renames.filter((request) => request.kind === kind);
  // Credentials, channels and rules are keyed by their name alone.
  const byName = <E extends { name: string }>(kind: ConfigKind, rows: Array<Stored<E>>, entries: E[] | null) =>
    pick(
      requests(kind),
      (request) => [request.name, request.from],
      keysOf(rows, (e) => e.name),
      entries,
      (e) => e.name,
      issues,
    );

  const credentials = byName("credential", stored.credentials, desired.credentials);
  const credentialName = (name: string) => credentials.get(name) ?? name;
  const connectionsUnderNewCredentials = stored.connections.map((row) => withEntry(row, { ...row.entry, credential: credentialName(row.entry.credential) }));
  const connections = pick(
    requests("connection"),
    (request) => [
      connectionKey({ credential: request.credential!, name: request.name }),
      connectionKey({ credential: request.credential!, name: request.from }),
    ],
    keysOf(connectionsUnderNewCredentials, connectionKey),
    desired.connections,
    connectionKey,
    issues,
  );
  const channels = byName("alert_channel", stored.channels, desired.channels);
  const rules = byName("alert_rule", stored.rules, desired.rules);

  // A reference to a renamed connection: its new name, which the request gave.
  const renamedTo = new Map(requests("connection").map((request) => [connectionKey({ credential: request.credential!, name: request.from }), request.name]));
  const refOf = (ref: ConnectionRef): ConnectionRef => {
    const underNew = { credential: credentialName(ref.credential), name: ref.name };
    const key = connectionKey(underNew);
    return connections.has(key) ? { credential: underNew.credential, name: renamedTo.get(key)! } : underNew;
  };
  const refsOf = (refs: ConnectionRef[] | null | undefined) => (refs === null || refs === undefined ? refs : refs.map(refOf));
  return {
    renames: { credentials, connections, channels, rules },
    stored: {
      credentials: stored.credentials,
      connections: connectionsUnderNewCredentials,
      channels: stored.channels.map((row) =>
        row.entry.kind === "webhook" ? withEntry(row, { ...row.entry, connections: refsOf(row.entry.connections as ConnectionRef[] | null) }) : row,
      ),
      rules: stored.rules.map((row) =>
        withEntry(row, { ...row.entry, channel: channels.get(row.entry.channel) ?? row.entry.channel, connections: refsOf(row.entry.connections) ?? null }),
      ),
    },
    issues,
  };
}

// A rename takes effect only while the new name is free and the old one is stored: a document that was applied
// (or one meant for another environment, where nothing has the old name) creates or matches by name as usual.
function pick<E>(
  requests: RenameRequest[],
  keys: (request: RenameRequest) => [to: string, from: string],
  storedKeys: Set<string>,
  desired: E[] | null,
  keyOf: (entry: E) => string,
  issues: FieldIssue[],
): Map<string, string> {
  const renames = new Map<string, string>();
  const listed = new Set((desired ?? []).map(keyOf));
  for (const request of requests) {
    const [to, from] = keys(request);
    if (to === from || storedKeys.has(to) || !storedKeys.has(from)) continue;
    const path = `${SECTION[request.kind]}[${request.index}].renamed_from`;
    if (listed.has(from)) issues.push({ path, message: `"${request.from}" is listed too: an entry is either renamed or kept, not both`, in: "body" });
    else if (renames.has(from)) issues.push({ path, message: `another entry is renamed from "${request.from}" too`, in: "body" });
    else renames.set(from, to);
  }
  return renames;
}

function keysOf<E>(rows: Array<Stored<E>>, keyOf: (entry: E) => string): Set<string> {
  return new Set(rows.map((row) => keyOf(row.entry)));
}

function withEntry<E>(row: Stored<E>, entry: E): Stored<E> {
  return { ...row, entry };
}
