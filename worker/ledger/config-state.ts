import type { CredentialScheme } from "../engine/credential-auth";
import type { AlertSeverity, ChannelKind, RuleCondition } from "../alerts/vocabulary";

// Every configuration row configuration as code compares with a document, read in one batch (one snapshot), and
// the guard that makes an apply batch fail when a row moved after it was read.

export interface CredentialStateRow {
  id: string;
  name: string;
  scheme: CredentialScheme;
  config_json: string;
  has_secret: number;
  updated_at: number;
}

export interface ConnectionStateRow {
  id: string;
  credential_id: string;
  name: string;
  position: number;
  enabled: number;
  dry_run: number;
  debug: number;
  schedule: string | null;
  config_json: string;
  version: number;
  freshness_sla_minutes: number | null;
}

export interface ChannelStateRow {
  id: string;
  name: string;
  kind: ChannelKind;
  config_json: string;
  has_secret: number;
  enabled: number;
  test_schedule: string | null;
  updated_at: number;
}

export interface RuleStateRow {
  id: string;
  name: string | null;
  channel_id: string;
  connection_ids_json: string | null;
  condition: RuleCondition;
  failure_threshold: number;
  notify_recovery: number;
  enabled: number;
  severity: AlertSeverity;
  params_json: string | null;
  muted_until: number | null;
  updated_at: number;
}

export interface ConfigStateRows {
  credentials: CredentialStateRow[];
  connections: ConnectionStateRow[];
  channels: ChannelStateRow[];
  rules: RuleStateRow[];
}

export async function readConfigState(db: D1Database): Promise<ConfigStateRows> {
  const [credentials, connections, channels, rules] = await db.batch([
    db.prepare("SELECT id, name, scheme, config_json, secret_ciphertext IS NOT NULL AS has_secret, updated_at FROM credentials ORDER BY name"),
    db.prepare(
      `SELECT c.id, c.credential_id, c.name, c.position, c.enabled, c.dry_run, c.debug, c.schedule, c.config_json, c.version, c.freshness_sla_minutes
         FROM connections c JOIN credentials cr ON cr.id = c.credential_id ORDER BY cr.name, c.position, c.id`,
    ),
    db.prepare(
      "SELECT id, name, kind, config_json, secret_ciphertext IS NOT NULL AS has_secret, enabled, test_schedule, updated_at FROM alert_channels ORDER BY name",
    ),
    db.prepare(
      `SELECT id, name, channel_id, connection_ids_json, condition, failure_threshold, notify_recovery, enabled, severity, params_json,
              muted_until, updated_at
         FROM alert_rules ORDER BY id`,
    ),
  ]);
  return {
    credentials: (credentials?.results ?? []) as CredentialStateRow[],
    connections: (connections?.results ?? []) as ConnectionStateRow[],
    channels: (channels?.results ?? []) as ChannelStateRow[],
    rules: (rules?.results ?? []) as RuleStateRow[],
  };
}

// What each kind's stamp is: a connection's version, or the row's updated_at.
const STAMPS = {
  credential: { table: "credentials", column: "updated_at" },
  connection: { table: "connections", column: "version" },
  alert_channel: { table: "alert_channels", column: "updated_at" },
  alert_rule: { table: "alert_rules", column: "updated_at" },
} as const;

export const STATE_MOVED_MESSAGE = "malformed JSON";

/**
 * Fails the batch it is in unless the row still has the stamp it was read with. SQLite has no RAISE outside
 * triggers, so the failing branch parses invalid JSON (built from a column, so it is never folded into a constant).
 */
export function stampGuardStatement(db: D1Database, kind: keyof typeof STAMPS, id: string, stamp: number): D1PreparedStatement {
  const { table, column } = STAMPS[kind];
  return db
    .prepare(
      `SELECT CASE WHEN g.stamp IS ?2 THEN 1 ELSE json('{' || COALESCE(g.stamp, '')) END AS ok
         FROM (SELECT (SELECT ${column} FROM ${table} WHERE id = ?1) AS stamp) g`,
    )
    .bind(id, stamp);
}

// The guard's failure, as the batch reports it.
export function isStateMoved(error: unknown): boolean {
  return error instanceof Error && error.message.includes(STATE_MOVED_MESSAGE);
}

export async function runConfigBatch(db: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  if (statements.length > 0) await db.batch(statements);
}
