import type { AlertRule, RuleParams } from "../schemas/alerts";
import type { AlertSeverity, ChannelKind, RuleCondition } from "../alerts/vocabulary";

interface RuleRow {
  id: string;
  name: string | null;
  channel_id: string;
  channel_name: string;
  channel_kind: ChannelKind;
  connection_ids_json: string | null;
  condition: RuleCondition;
  failure_threshold: number;
  notify_recovery: number;
  enabled: number;
  severity: AlertSeverity;
  params_json: string | null;
  muted_until: number | null;
  open_incidents: number;
  created_at: number;
  updated_at: number;
}

export interface RuleWrite {
  channelId: string;
  connectionIds: string[] | null;
  condition: RuleCondition;
  failureThreshold: number;
  notifyRecovery: boolean;
  enabled: boolean;
  severity: AlertSeverity;
  params: RuleParams;
  mutedUntil: number | null;
  // Configuration as code names rules; undefined keeps the stored name (the API does not set one).
  name?: string | null;
}

const SELECT_RULE = `
  SELECT r.id, r.name, r.channel_id, c.name AS channel_name, c.kind AS channel_kind, r.connection_ids_json, r.condition, r.failure_threshold,
         r.notify_recovery, r.enabled, r.severity, r.params_json, r.muted_until, r.created_at, r.updated_at,
         (SELECT COUNT(*) FROM alert_incidents i WHERE i.rule_id = r.id AND i.resolved_at IS NULL) AS open_incidents
    FROM alert_rules r JOIN alert_channels c ON c.id = r.channel_id`;

export async function insertAlertRule(db: D1Database, id: string, write: RuleWrite, now: number): Promise<AlertRule> {
  const [, selected] = await db.batch<RuleRow>([insertAlertRuleStatement(db, id, write, now), db.prepare(`${SELECT_RULE} WHERE r.id = ?1`).bind(id)]);
  const row = selected?.results[0];
  if (!row) throw new Error("inserted rule not found");
  return toRule(row);
}

export function insertAlertRuleStatement(db: D1Database, id: string, write: RuleWrite, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO alert_rules (id, channel_id, connection_ids_json, failure_threshold, notify_recovery, enabled, created_at, updated_at, condition,
                                severity, params_json, muted_until, name)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11, ?12)`,
    )
    .bind(
      id,
      write.channelId,
      json(write.connectionIds),
      write.failureThreshold,
      write.notifyRecovery ? 1 : 0,
      write.enabled ? 1 : 0,
      now,
      write.condition,
      write.severity,
      paramsJson(write.params),
      write.mutedUntil,
      write.name ?? null,
    );
}

export async function getAlertRule(db: D1Database, id: string): Promise<AlertRule | null> {
  const row = await db.prepare(`${SELECT_RULE} WHERE r.id = ?1`).bind(id).first<RuleRow>();
  return row ? toRule(row) : null;
}

export async function listAlertRules(
  db: D1Database,
  options: { channelId: string | null; afterId: string | null; limit: number },
): Promise<{ data: AlertRule[]; hasMore: boolean }> {
  const { results } = await db
    .prepare(`${SELECT_RULE} WHERE (?1 IS NULL OR r.channel_id = ?1) AND (?2 IS NULL OR r.id > ?2) ORDER BY r.id LIMIT ?3`)
    .bind(options.channelId, options.afterId, options.limit + 1)
    .all<RuleRow>();
  return { data: results.slice(0, options.limit).map(toRule), hasMore: results.length > options.limit };
}

// A change of scope or threshold applies from the next failure; incidents already open stay until recovery.
export async function updateAlertRule(db: D1Database, id: string, write: Omit<RuleWrite, "channelId">, now: number): Promise<AlertRule | null> {
  const [, selected] = await db.batch<RuleRow>([updateAlertRuleStatement(db, id, write, now), db.prepare(`${SELECT_RULE} WHERE r.id = ?1`).bind(id)]);
  const row = selected?.results[0];
  return row ? toRule(row) : null;
}

// A given channelId moves the rule to that channel (configuration as code); the API keeps a rule's channel.
export function updateAlertRuleStatement(
  db: D1Database,
  id: string,
  write: Omit<RuleWrite, "channelId"> & { channelId?: string },
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE alert_rules SET connection_ids_json = ?2, failure_threshold = ?3, notify_recovery = ?4, enabled = ?5, updated_at = ?6,
              condition = ?7, severity = ?8, params_json = ?9, muted_until = ?10,
              name = CASE WHEN ?11 = 1 THEN ?12 ELSE name END, channel_id = COALESCE(?13, channel_id)
        WHERE id = ?1`,
    )
    .bind(
      id,
      json(write.connectionIds),
      write.failureThreshold,
      write.notifyRecovery ? 1 : 0,
      write.enabled ? 1 : 0,
      now,
      write.condition,
      write.severity,
      paramsJson(write.params),
      write.mutedUntil,
      write.name === undefined ? 0 : 1,
      write.name ?? null,
      write.channelId ?? null,
    );
}

export async function deleteAlertRule(db: D1Database, id: string): Promise<boolean> {
  const [, deleted] = await db.batch(deleteAlertRuleStatements(db, id));
  return (deleted?.meta.changes ?? 0) > 0;
}

export function deleteAlertRuleStatements(db: D1Database, id: string): D1PreparedStatement[] {
  return [db.prepare("DELETE FROM alert_incidents WHERE rule_id = ?1").bind(id), db.prepare("DELETE FROM alert_rules WHERE id = ?1").bind(id)];
}

/** Ids among `ids` that are not connections, in the order given. */
export async function missingConnectionIds(db: D1Database, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = new Set<string>();
  // D1 binds at most 100 parameters per statement.
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const { results } = await db
      .prepare(`SELECT id FROM connections WHERE id IN (${chunk.map((_, j) => `?${j + 1}`).join(", ")})`)
      .bind(...chunk)
      .all<{ id: string }>();
    for (const row of results) found.add(row.id);
  }
  return ids.filter((id) => !found.has(id));
}

function json(ids: string[] | null): string | null {
  return ids === null ? null : JSON.stringify([...new Set(ids)]);
}

function paramsJson(params: RuleParams): string | null {
  return Object.keys(params).length === 0 ? null : JSON.stringify(params);
}

export function parseRuleParams(json: string | null): RuleParams {
  return json === null ? {} : (JSON.parse(json) as RuleParams);
}

function toRule(row: RuleRow): AlertRule {
  return {
    id: row.id,
    channel_id: row.channel_id,
    channel_name: row.channel_name,
    channel_kind: row.channel_kind,
    connection_ids: row.connection_ids_json === null ? null : (JSON.parse(row.connection_ids_json) as string[]),
    condition: row.condition,
    failure_threshold: row.failure_threshold,
    notify_recovery: row.notify_recovery === 1,
    enabled: row.enabled === 1,
    severity: row.severity,
    params: parseRuleParams(row.params_json),
    muted_until: row.muted_until === null ? null : new Date(row.muted_until).toISOString(),
    open_incidents: row.open_incidents,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
