import type { HeartbeatCall } from "../schedule/heartbeat-call";
import type { Settings } from "../schemas/settings";
import { writeSettingStatement } from "./settings";

// The outside monitor's heartbeat URL (settings, set by an admin) and what the last call got back (written by
// the minute tick). Apart from config-settings.ts because the tick writes here every minute.
export const HEARTBEAT_URL_KEYS = {
  url: "heartbeat.url",
  last: "heartbeat.last",
} as const;

export interface StoredHeartbeat {
  url: string | null;
  last: HeartbeatCall | null;
}

export async function readHeartbeat(db: D1Database): Promise<StoredHeartbeat> {
  const { results } = await db
    .prepare("SELECT key, value_json FROM settings WHERE key IN (?1, ?2)")
    .bind(HEARTBEAT_URL_KEYS.url, HEARTBEAT_URL_KEYS.last)
    .all<{ key: string; value_json: string }>();
  const byKey = new Map(results.map((row) => [row.key, JSON.parse(row.value_json) as unknown]));
  return {
    url: (byKey.get(HEARTBEAT_URL_KEYS.url) as string | null | undefined) ?? null,
    last: (byKey.get(HEARTBEAT_URL_KEYS.last) as HeartbeatCall | null | undefined) ?? null,
  };
}

// A new URL starts without a last call: the one kept was made to the old URL.
export async function writeHeartbeatUrl(db: D1Database, url: string | null, now: number): Promise<void> {
  await db.batch([writeSettingStatement(db, HEARTBEAT_URL_KEYS.url, url, now), writeSettingStatement(db, HEARTBEAT_URL_KEYS.last, null, now)]);
}

export async function recordHeartbeatCall(db: D1Database, call: HeartbeatCall, now: number): Promise<void> {
  await writeSettingStatement(db, HEARTBEAT_URL_KEYS.last, call, now).run();
}

export function toHeartbeatSetting(stored: StoredHeartbeat): Settings["heartbeat"] {
  const { last } = stored;
  return {
    url: stored.url,
    last_at: last === null ? null : new Date(last.at).toISOString(),
    last_ok: last?.ok ?? null,
    last_status: last?.status ?? null,
    last_error: last?.error ?? null,
  };
}
