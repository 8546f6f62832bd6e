import { buildChannelConfig, parseChannelConfig } from "../alerts/channel-config";
import { secretFieldOf } from "../alerts/channel-kinds";
import type { ChannelKind } from "../alerts/vocabulary";
import { withLimitDefaults, type ConnectionConfig } from "../engine/contracts";
import type { CredentialScheme } from "../engine/credential-auth";
import type { ConfigStateRows } from "../ledger/config-state";
import { parseRuleParams } from "../ledger/alerts-rules";
import type { RuleParams } from "../schemas/alerts";
import type {
  ChannelEntry,
  ConfigDocument,
  ConfigKind,
  ConnectionEntry,
  ConnectionRef,
  CredentialEntry,
  RuleEntry,
  SecretRef,
} from "../schemas/config-document";
import { SCHEMES_WITH_SECRET } from "../schemas/credentials";

// Entries in one canonical form, whether read from the ledger or from a document: every default filled, ids
// replaced by names, secrets left out (they are compared by no one). Plan diffs two of these; export prints one.

export interface CredentialCanon {
  name: string;
  scheme: CredentialScheme;
  config: Record<string, unknown>;
}

export interface ConnectionCanon {
  name: string;
  credential: string;
  position: number;
  enabled: boolean;
  dry_run: boolean;
  debug: boolean;
  schedule: string | null;
  freshness_sla_minutes: number | null;
  config: ConnectionConfig;
}

export type ChannelCanon = { name: string; kind: ChannelKind; enabled: boolean; test_schedule: string | null } & Record<string, unknown>;

export interface RuleCanon {
  name: string;
  channel: string;
  connections: ConnectionRef[] | null;
  condition: RuleEntry["condition"];
  failure_threshold: number;
  notify_recovery: boolean;
  enabled: boolean;
  severity: RuleEntry["severity"];
  params: RuleParams;
  muted_until: string | null;
}

// A ledger row as a canonical entry, with what apply needs to write over it.
export interface Stored<E> {
  id: string;
  stamp: number;
  hasSecret: boolean;
  entry: E;
  // A rule made in the dashboard: its name is derived from its channel's (`<channel> / <condition>`), not stored.
  derivedName?: boolean;
}

export interface StoredConfig {
  credentials: Array<Stored<CredentialCanon>>;
  connections: Array<Stored<ConnectionCanon>>;
  channels: Array<Stored<ChannelCanon>>;
  rules: Array<Stored<RuleCanon>>;
}

export const connectionKey = (ref: { credential: string; name: string }) => `${ref.credential}\u0000${ref.name}`;

export function storedConfig(rows: ConfigStateRows): StoredConfig {
  const credentialName = new Map(rows.credentials.map((row) => [row.id, row.name]));
  const connectionRef = new Map(rows.connections.map((row) => [row.id, { credential: credentialName.get(row.credential_id) ?? "", name: row.name }]));
  // A scope naming a connection deleted since keeps the ones that still exist.
  const refsOf = (ids: string[] | null): ConnectionRef[] | null =>
    ids === null ? null : ids.flatMap((id) => (connectionRef.has(id) ? [connectionRef.get(id)!] : []));
  const channelName = new Map(rows.channels.map((row) => [row.id, row.name]));

  const credentials = rows.credentials.map((row) => ({
    id: row.id,
    stamp: row.updated_at,
    hasSecret: row.has_secret === 1,
    entry: { name: row.name, scheme: row.scheme, config: JSON.parse(row.config_json) as Record<string, unknown> },
  }));
  const connections = rows.connections.map((row) => ({
    id: row.id,
    stamp: row.version,
    hasSecret: false,
    entry: {
      name: row.name,
      credential: credentialName.get(row.credential_id) ?? "",
      position: row.position,
      enabled: row.enabled === 1,
      dry_run: row.dry_run === 1,
      debug: row.debug === 1,
      schedule: row.schedule,
      freshness_sla_minutes: row.freshness_sla_minutes,
      config: withLimitDefaults(JSON.parse(row.config_json) as ConnectionConfig),
    },
  }));
  const channels = rows.channels.map((row) => {
    const { connection_ids: ids, ...config } = parseChannelConfig(row.kind, row.config_json).config as Record<string, unknown>;
    const scope = row.kind === "webhook" ? { connections: refsOf((ids as string[] | null) ?? null) } : {};
    return {
      id: row.id,
      stamp: row.updated_at,
      hasSecret: row.has_secret === 1,
      entry: { name: row.name, kind: row.kind, enabled: row.enabled === 1, test_schedule: row.test_schedule, ...config, ...scope },
    };
  });
  const ruleNames = ruleNamesOf(rows.rules.map((row) => ({ name: row.name, derived: `${channelName.get(row.channel_id) ?? "?"} / ${row.condition}` })));
  const rules = rows.rules.map((row, index) => ({
    id: row.id,
    stamp: row.updated_at,
    hasSecret: false,
    derivedName: row.name === null,
    entry: {
      name: ruleNames[index]!,
      channel: channelName.get(row.channel_id) ?? "",
      connections: refsOf(row.connection_ids_json === null ? null : (JSON.parse(row.connection_ids_json) as string[])),
      condition: row.condition,
      failure_threshold: row.failure_threshold,
      notify_recovery: row.notify_recovery === 1,
      enabled: row.enabled === 1,
      severity: row.severity,
      params: parseRuleParams(row.params_json),
      muted_until: row.muted_until === null ? null : new Date(row.muted_until).toISOString(),
    },
  }));
  return { credentials, connections, channels, rules };
}

// Rules made in the dashboard have no name: `<channel> / <condition>`, numbered from the second of the same.
function ruleNamesOf(rules: Array<{ name: string | null; derived: string }>): string[] {
  const seen = new Map<string, number>();
  return rules.map(({ name, derived }) => {
    if (name !== null) return name;
    const count = (seen.get(derived) ?? 0) + 1;
    seen.set(derived, count);
    return count === 1 ? derived : `${derived} #${count}`;
  });
}

export interface DesiredConfig {
  credentials: CredentialCanon[] | null;
  connections: ConnectionCanon[] | null;
  channels: ChannelCanon[] | null;
  rules: RuleCanon[] | null;
  // The secret each entry references, by kind and name (connections have none).
  secretRefs: Array<{ kind: "credential" | "alert_channel"; name: string; field: string; secret: string }>;
  // Each entry's previous name where the document gives one (renames.ts decides which rename anything).
  renames: RenameRequest[];
}

export interface RenameRequest {
  kind: ConfigKind;
  // The entry's place in its section, for an issue's path.
  index: number;
  name: string;
  from: string;
  // Connections: the credential both names are under.
  credential?: string;
}

// A parsed document as canonical entries; null for a section left out.
export function desiredConfig(document: ConfigDocument): DesiredConfig {
  const secretRefs: DesiredConfig["secretRefs"] = [];
  const renames: RenameRequest[] = [];
  const renamed = (kind: ConfigKind, entries: Array<{ name: string; renamed_from?: string; credential?: string }> | undefined) =>
    entries?.forEach((entry, index) => {
      if (entry.renamed_from !== undefined)
        renames.push({ kind, index, name: entry.name, from: entry.renamed_from, ...(kind === "connection" ? { credential: entry.credential } : {}) });
    });
  renamed("credential", document.credentials as CredentialEntry[] | undefined);
  renamed("connection", document.connections);
  renamed("alert_channel", document.alert_channels as ChannelEntry[] | undefined);
  renamed("alert_rule", document.alert_rules);
  const credentials =
    document.credentials?.map((raw) => {
      const entry = raw as CredentialEntry;
      if (entry.secret !== undefined) secretRefs.push({ kind: "credential", name: entry.name, field: "secret", secret: entry.secret.secret });
      return { name: entry.name, scheme: entry.scheme as CredentialScheme, config: entry.config ?? {} };
    }) ?? null;
  const connections = document.connections === undefined ? null : withPositions(document.connections);
  const channels =
    document.alert_channels?.map((raw) => {
      const entry = raw as ChannelEntry;
      const { name, kind, enabled, test_schedule: testSchedule, connections: scope, renamed_from: _from, ...fields } = entry;
      const secretField = secretFieldOf(kind);
      if (secretField !== null) secretRefs.push({ kind: "alert_channel", name, field: secretField, secret: (fields[secretField] as SecretRef).secret });
      const { connection_ids: _ids, ...config } = buildChannelConfig(kind, null, fields) as Record<string, unknown>;
      const canon: ChannelCanon = { name, kind, enabled: enabled ?? true, test_schedule: testSchedule ?? null, ...config };
      return kind === "webhook" ? { ...canon, connections: scope ?? null } : canon;
    }) ?? null;
  const rules =
    document.alert_rules?.map((entry) => ({
      name: entry.name,
      channel: entry.channel,
      connections: entry.connections,
      condition: entry.condition,
      failure_threshold: entry.failure_threshold,
      notify_recovery: entry.notify_recovery,
      enabled: entry.enabled,
      severity: entry.severity,
      params: entry.params,
      muted_until: entry.muted_until === null ? null : new Date(Date.parse(entry.muted_until)).toISOString(),
    })) ?? null;
  return { credentials, connections, channels, rules, secretRefs, renames };
}

// Positions given are kept (validation checks they are 1..n per credential); none given: document order.
function withPositions(entries: ConnectionEntry[]): ConnectionCanon[] {
  const next = new Map<string, number>();
  return entries.map((entry) => {
    const position = (next.get(entry.credential) ?? 0) + 1;
    next.set(entry.credential, position);
    return {
      name: entry.name,
      credential: entry.credential,
      position: entry.position ?? position,
      enabled: entry.enabled,
      dry_run: entry.dry_run,
      debug: entry.debug,
      schedule: entry.schedule,
      freshness_sla_minutes: entry.freshness_sla_minutes,
      config: entry.config,
    };
  });
}

// The document export writes: the stored entries with a secret reference where a secret is kept.
export function exportDocument(stored: StoredConfig): Required<ConfigDocument> {
  const names = new SecretNames();
  return {
    version: 1,
    credentials: stored.credentials.map(({ entry }) =>
      SCHEMES_WITH_SECRET[entry.scheme] ? { ...entry, secret: { secret: names.take(entry.name, "SECRET") } } : entry,
    ) as Required<ConfigDocument>["credentials"],
    connections: stored.connections.map(({ entry }) => {
      const { name, credential, position, ...rest } = entry;
      return { name, credential, position, ...rest };
    }),
    alert_channels: stored.channels.map(({ entry }) => {
      const field = secretFieldOf(entry.kind);
      return field === null ? entry : { ...entry, [field]: { secret: names.take(entry.name, field.toUpperCase()) } };
    }) as Required<ConfigDocument>["alert_channels"],
    alert_rules: stored.rules.map(({ entry }) => entry),
  };
}

// NAME_OF_THE_ENTRY_SUFFIX, numbered when two entries would share one.
class SecretNames {
  readonly #taken = new Set<string>();

  take(entryName: string, suffix: string): string {
    const slug = entryName
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "");
    const base = `${/^[A-Z]/.test(slug) ? "" : "S_"}${slug}_${suffix}`.slice(0, 90);
    let name = base;
    for (let n = 2; this.#taken.has(name); n++) name = `${base}_${n}`;
    this.#taken.add(name);
    return name;
  }
}
