import { decryptSecret, encryptSecret, SECRET_BINDINGS, secretHint, type SecretsEnv } from "../auth/secrets";
import type { HeartbeatCall } from "../schedule/heartbeat-call";
import type { Settings } from "../schemas/settings";
import { writeSettingStatement } from "./settings";

// The outside monitor's heartbeat URL (settings, set by an admin) and what the last call got back (written by
// the minute tick). Apart from config-settings.ts because the tick writes here every minute.
export const HEARTBEAT_URL_KEYS = {
  url: "heartbeat.url",
  last: "heartbeat.last",
} as const;

// Sealed like every secret: a monitor's URL carries its check's token (hc-ping.com/<uuid>), and whoever holds
// it can ping the check and silence the alarm. Only the hint (origin and last characters) is ever shown.
export interface SealedHeartbeatUrl {
  ciphertext: string;
  hint: string;
}

export interface StoredHeartbeat {
  // A string: a URL stored before it was sealed; the next minute tick seals it.
  url: SealedHeartbeatUrl | string | null;
  last: HeartbeatCall | null;
}

export async function readHeartbeat(db: D1Database): Promise<StoredHeartbeat> {
  const { results } = await db
    .prepare("SELECT key, value_json FROM settings WHERE key IN (?1, ?2)")
    .bind(HEARTBEAT_URL_KEYS.url, HEARTBEAT_URL_KEYS.last)
    .all<{ key: string; value_json: string }>();
  const byKey = new Map(results.map((row) => [row.key, JSON.parse(row.value_json) as unknown]));
  return {
    url: (byKey.get(HEARTBEAT_URL_KEYS.url) as StoredHeartbeat["url"] | undefined) ?? null,
    last: (byKey.get(HEARTBEAT_URL_KEYS.last) as HeartbeatCall | null | undefined) ?? null,
  };
}

export async function sealHeartbeatUrl(env: SecretsEnv, url: string): Promise<SealedHeartbeatUrl> {
  return { ciphertext: await encryptSecret(env, url, SECRET_BINDINGS.heartbeatUrl()), hint: heartbeatUrlHint(url) };
}

export async function openHeartbeatUrl(env: SecretsEnv, stored: SealedHeartbeatUrl | string): Promise<string> {
  return typeof stored === "string" ? stored : decryptSecret(env, stored.ciphertext, SECRET_BINDINGS.heartbeatUrl());
}

// "https://hc-ping.com/••••3f2a": which monitor, without the token.
function heartbeatUrlHint(url: string): string {
  let origin = "";
  try {
    origin = new URL(url).origin;
  } catch {
    // Saved URLs were checked; a hint needs no origin to be one.
  }
  return `${origin}/${secretHint(url)}`;
}

// A new URL starts without a last call: the one kept was made to the old URL.
export async function writeHeartbeatUrl(db: D1Database, url: SealedHeartbeatUrl | null, now: number): Promise<void> {
  await db.batch([writeSettingStatement(db, HEARTBEAT_URL_KEYS.url, url, now), writeSettingStatement(db, HEARTBEAT_URL_KEYS.last, null, now)]);
}

// Seals a URL stored before sealing in place, keeping its last call; only while the row still holds that URL.
export async function resealHeartbeatUrl(db: D1Database, plain: string, sealed: SealedHeartbeatUrl, now: number): Promise<void> {
  await db
    .prepare("UPDATE settings SET value_json = ?3, updated_at = ?4 WHERE key = ?1 AND value_json = ?2")
    .bind(HEARTBEAT_URL_KEYS.url, JSON.stringify(plain), JSON.stringify(sealed), now)
    .run();
}

export async function recordHeartbeatCall(db: D1Database, call: HeartbeatCall, now: number): Promise<void> {
  await writeSettingStatement(db, HEARTBEAT_URL_KEYS.last, call, now).run();
}

export function toHeartbeatSetting(stored: StoredHeartbeat): Settings["heartbeat"] {
  const { last, url } = stored;
  return {
    configured: url !== null,
    url_hint: url === null ? null : typeof url === "string" ? heartbeatUrlHint(url) : url.hint,
    last_at: last === null ? null : new Date(last.at).toISOString(),
    last_ok: last?.ok ?? null,
    last_status: last?.status ?? null,
    last_error: last?.error ?? null,
  };
}
