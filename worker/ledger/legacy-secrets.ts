import { CONFIG_SETTING_KEYS } from "./config-settings";

// Every place a sealed secret is stored, to find the ones still in the unbound v1 format and swap them
// for their v2 form. The tables are small (credentials, channels, one setting): the scans are cheap.

export const SECRET_FIELDS = ["credential", "alert_channel", "alert_channel_previous", "log_export"] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];

export interface StoredSecretRef {
  field: SecretField;
  // The row id; the settings key for log_export.
  id: string;
  ciphertext: string;
}

const LOCATIONS: Record<SecretField, { select: string; update: string }> = {
  credential: {
    select: "SELECT id, secret_ciphertext AS ciphertext FROM credentials WHERE substr(secret_ciphertext, 1, 3) = 'v1:' ORDER BY id LIMIT ?1",
    update: "UPDATE credentials SET secret_ciphertext = ?3 WHERE id = ?1 AND secret_ciphertext = ?2",
  },
  alert_channel: {
    select: "SELECT id, secret_ciphertext AS ciphertext FROM alert_channels WHERE substr(secret_ciphertext, 1, 3) = 'v1:' ORDER BY id LIMIT ?1",
    update: "UPDATE alert_channels SET secret_ciphertext = ?3 WHERE id = ?1 AND secret_ciphertext = ?2",
  },
  alert_channel_previous: {
    select:
      "SELECT id, previous_secret_ciphertext AS ciphertext FROM alert_channels WHERE substr(previous_secret_ciphertext, 1, 3) = 'v1:' ORDER BY id LIMIT ?1",
    update: "UPDATE alert_channels SET previous_secret_ciphertext = ?3 WHERE id = ?1 AND previous_secret_ciphertext = ?2",
  },
  log_export: {
    select: `SELECT key AS id, json_extract(value_json, '$.secret_ciphertext') AS ciphertext FROM settings
              WHERE key = '${CONFIG_SETTING_KEYS.logExport}' AND substr(json_extract(value_json, '$.secret_ciphertext'), 1, 3) = 'v1:' LIMIT ?1`,
    update: `UPDATE settings SET value_json = json_set(value_json, '$.secret_ciphertext', ?3)
              WHERE key = ?1 AND json_extract(value_json, '$.secret_ciphertext') = ?2`,
  },
};

/** Up to `limit` secrets still sealed in the v1 format, field by field. */
export async function listLegacySecrets(db: D1Database, limit: number): Promise<StoredSecretRef[]> {
  const found: StoredSecretRef[] = [];
  for (const field of SECRET_FIELDS) {
    if (found.length >= limit) break;
    const { results } = await db
      .prepare(LOCATIONS[field].select)
      .bind(limit - found.length)
      .all<{ id: string; ciphertext: string }>();
    found.push(...results.map((row) => ({ field, id: row.id, ciphertext: row.ciphertext })));
  }
  return found;
}

// Only while the stored value is still the one that was read: a secret changed meanwhile is left alone.
export async function replaceLegacySecret(db: D1Database, ref: StoredSecretRef, ciphertext: string): Promise<boolean> {
  const result = await db.prepare(LOCATIONS[ref.field].update).bind(ref.id, ref.ciphertext, ciphertext).run();
  return result.meta.changes > 0;
}
