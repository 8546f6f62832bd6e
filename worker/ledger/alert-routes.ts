import type { ChannelKind } from "../alerts/vocabulary";

// Per-connection alert routing and muting: which channel a rule's alerts about one connection go to instead of
// the rule's own, and until when a connection's alerts are not sent.

export interface AlertRouteRow {
  rule_id: string;
  channel_id: string;
  channel_name: string;
  channel_kind: ChannelKind;
  created_at: number;
}

export interface AlertRouteWrite {
  ruleId: string;
  channelId: string;
}

export async function listAlertRoutes(db: D1Database, connectionId: string): Promise<AlertRouteRow[]> {
  const { results } = await db
    .prepare(
      `SELECT r.rule_id, r.channel_id, c.name AS channel_name, c.kind AS channel_kind, r.created_at
         FROM alert_routes r JOIN alert_channels c ON c.id = r.channel_id
        WHERE r.connection_id = ?1 ORDER BY r.rule_id`,
    )
    .bind(connectionId)
    .all<AlertRouteRow>();
  return results;
}

/** Replaces the connection's routes with these, in one batch; a route that stays keeps its created_at. */
export async function replaceAlertRoutes(db: D1Database, connectionId: string, routes: readonly AlertRouteWrite[], now: number): Promise<void> {
  const kept = JSON.stringify(routes.map((route) => route.ruleId));
  await db.batch([
    db.prepare("DELETE FROM alert_routes WHERE connection_id = ?1 AND rule_id NOT IN (SELECT value FROM json_each(?2))").bind(connectionId, kept),
    ...routes.map((route) =>
      db
        .prepare(
          `INSERT INTO alert_routes (connection_id, rule_id, channel_id, created_at) VALUES (?1, ?2, ?3, ?4)
           ON CONFLICT (connection_id, rule_id) DO UPDATE SET channel_id = excluded.channel_id,
             created_at = CASE WHEN alert_routes.channel_id = excluded.channel_id THEN alert_routes.created_at ELSE excluded.created_at END`,
        )
        .bind(connectionId, route.ruleId, route.channelId, now),
    ),
  ]);
}

export interface RouteTargets {
  // Rule id → the connections it watches (null: all).
  rules: Map<string, string[] | null>;
  channels: Set<string>;
}

/** Which of these rules and channels exist, read together, so a route can name what it is missing. */
export async function routeTargets(db: D1Database, ruleIds: readonly string[], channelIds: readonly string[]): Promise<RouteTargets> {
  const [rules, channels] = await db.batch([
    db.prepare("SELECT id, connection_ids_json FROM alert_rules WHERE id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(ruleIds)),
    db.prepare("SELECT id FROM alert_channels WHERE id IN (SELECT value FROM json_each(?1))").bind(JSON.stringify(channelIds)),
  ]);
  const ruleRows = (rules?.results ?? []) as Array<{ id: string; connection_ids_json: string | null }>;
  return {
    rules: new Map(ruleRows.map((row) => [row.id, row.connection_ids_json === null ? null : (JSON.parse(row.connection_ids_json) as string[])])),
    channels: new Set(((channels?.results ?? []) as Array<{ id: string }>).map((row) => row.id)),
  };
}

/** Sets or clears (null) until when the connection's alerts are muted; false when there is no such connection. */
export async function setConnectionAlertsMute(db: D1Database, connectionId: string, until: number | null): Promise<boolean> {
  const result = await db.prepare("UPDATE connections SET alerts_muted_until = ?2 WHERE id = ?1").bind(connectionId, until).run();
  return result.meta.changes > 0;
}
