import type { AlertChannel } from "../schemas/alerts";
import { parseChannelConfig, type ChannelConfig } from "../alerts/channel-config";
import type { ChannelKind, ChannelTestTrigger } from "../alerts/vocabulary";
import { isUniqueViolation } from "./unique-violation";

// alert_channels: configuration, encrypted secrets and health. Ciphertexts never leave the worker;
// summaries carry only the hint.

export interface AlertChannelRow {
  id: string;
  name: string;
  kind: ChannelKind;
  config_json: string;
  secret_ciphertext: string | null;
  secret_hint: string | null;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: number | null;
  enabled: number;
  disabled_reason: string | null;
  disabled_at: number | null;
  failing_since: number | null;
  last_success_at: number | null;
  last_failure_at: number | null;
  created_at: number;
  updated_at: number;
  test_schedule: string | null;
  test_next_at: number | null;
  last_test_at: number | null;
  last_test_ok: number | null;
  last_test_status_code: number | null;
  last_test_error: string | null;
  last_test_trigger: ChannelTestTrigger | null;
}

// A channel's scheduled test: the cron and when it is next due (null with no schedule).
export interface ChannelTestSchedule {
  schedule: string | null;
  nextAt: number | null;
}

export interface ChannelWrite {
  name: string;
  kind: ChannelKind;
  config: ChannelConfig["config"];
  secret: { ciphertext: string; hint: string } | null;
  enabled: boolean;
  testSchedule: ChannelTestSchedule;
}

export type ChannelWriteOutcome = { status: "ok"; row: AlertChannelRow } | { status: "name_taken" } | { status: "not_found" };

const COLUMNS = `id, name, kind, config_json, secret_ciphertext, secret_hint, previous_secret_ciphertext,
  previous_secret_expires_at, enabled, disabled_reason, disabled_at, failing_since, last_success_at,
  last_failure_at, created_at, updated_at, test_schedule, test_next_at, last_test_at, last_test_ok,
  last_test_status_code, last_test_error, last_test_trigger`;

export async function insertAlertChannel(db: D1Database, id: string, write: ChannelWrite, now: number): Promise<ChannelWriteOutcome> {
  try {
    const row = await insertAlertChannelStatement(db, id, write, now).first<AlertChannelRow>();
    if (!row) throw new Error("INSERT … RETURNING gave no row");
    return { status: "ok", row };
  } catch (error) {
    if (isUniqueViolation(error, "alert_channels.name")) return { status: "name_taken" };
    throw error;
  }
}

export function insertAlertChannelStatement(db: D1Database, id: string, write: ChannelWrite, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO alert_channels (id, name, kind, config_json, secret_ciphertext, secret_hint, enabled, created_at, updated_at,
                                   test_schedule, test_next_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10) RETURNING ${COLUMNS}`,
    )
    .bind(
      id,
      write.name,
      write.kind,
      JSON.stringify(write.config),
      write.secret?.ciphertext ?? null,
      write.secret?.hint ?? null,
      write.enabled ? 1 : 0,
      now,
      write.testSchedule.schedule,
      write.testSchedule.nextAt,
    );
}

export async function getAlertChannel(db: D1Database, id: string): Promise<AlertChannelRow | null> {
  return db.prepare(`SELECT ${COLUMNS} FROM alert_channels WHERE id = ?1`).bind(id).first<AlertChannelRow>();
}

// Creation order; ids sort by time, so the last id of a page is the cursor.
export async function listAlertChannels(
  db: D1Database,
  options: { afterId: string | null; limit: number },
): Promise<{ rows: AlertChannelRow[]; hasMore: boolean }> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM alert_channels WHERE (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2`)
    .bind(options.afterId, options.limit + 1)
    .all<AlertChannelRow>();
  return { rows: results.slice(0, options.limit), hasMore: results.length > options.limit };
}

export interface ChannelUpdate {
  name: string;
  config: ChannelConfig["config"];
  // undefined keeps the stored secret.
  secret?: { ciphertext: string; hint: string };
  enabled: boolean;
  // undefined keeps the stored schedule.
  testSchedule?: ChannelTestSchedule;
}

// Enabling clears the disabled reason and the failure streak, so the channel starts with a clean slate.
export async function updateAlertChannel(db: D1Database, id: string, update: ChannelUpdate, now: number): Promise<ChannelWriteOutcome> {
  try {
    const row = await updateAlertChannelStatement(db, id, update, now).first<AlertChannelRow>();
    return row ? { status: "ok", row } : { status: "not_found" };
  } catch (error) {
    if (isUniqueViolation(error, "alert_channels.name")) return { status: "name_taken" };
    throw error;
  }
}

export function updateAlertChannelStatement(db: D1Database, id: string, update: ChannelUpdate, now: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE alert_channels
            SET name = ?2, config_json = ?3,
                secret_ciphertext = COALESCE(?4, secret_ciphertext), secret_hint = COALESCE(?5, secret_hint),
                disabled_reason = CASE WHEN ?6 = 1 THEN NULL WHEN enabled = 1 THEN 'Disabled by an admin.' ELSE disabled_reason END,
                disabled_at = CASE WHEN ?6 = 1 THEN NULL WHEN enabled = 1 THEN ?7 ELSE disabled_at END,
                failing_since = CASE WHEN ?6 = 1 AND enabled = 0 THEN NULL ELSE failing_since END,
                enabled = ?6, updated_at = ?7,
                test_schedule = CASE WHEN ?8 = 1 THEN ?9 ELSE test_schedule END,
                test_next_at = CASE WHEN ?8 = 1 THEN ?10 ELSE test_next_at END
          WHERE id = ?1 RETURNING ${COLUMNS}`,
    )
    .bind(
      id,
      update.name,
      JSON.stringify(update.config),
      update.secret?.ciphertext ?? null,
      update.secret?.hint ?? null,
      update.enabled ? 1 : 0,
      now,
      update.testSchedule === undefined ? 0 : 1,
      update.testSchedule?.schedule ?? null,
      update.testSchedule?.nextAt ?? null,
    );
}

export interface SecretRotation {
  ciphertext: string;
  hint: string;
  // null retires the old secret at once.
  previousCiphertext: string | null;
  previousExpiresAt: number | null;
}

export async function rotateAlertChannelSecret(db: D1Database, id: string, rotation: SecretRotation, now: number): Promise<AlertChannelRow | null> {
  return db
    .prepare(
      `UPDATE alert_channels
          SET secret_ciphertext = ?2, secret_hint = ?3, previous_secret_ciphertext = ?4, previous_secret_expires_at = ?5, updated_at = ?6
        WHERE id = ?1 RETURNING ${COLUMNS}`,
    )
    .bind(id, rotation.ciphertext, rotation.hint, rotation.previousCiphertext, rotation.previousExpiresAt, now)
    .first<AlertChannelRow>();
}

// Rules go with the channel (ON DELETE CASCADE); its delivery log stays, and what was still waiting fails.
export async function deleteAlertChannel(db: D1Database, id: string, now: number): Promise<boolean> {
  const [, , deleted] = await db.batch(deleteAlertChannelStatements(db, id, now));
  return (deleted?.meta.changes ?? 0) > 0;
}

export function deleteAlertChannelStatements(db: D1Database, id: string, now: number): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, last_error = 'The channel was deleted.', updated_at = ?2
          WHERE channel_id = ?1 AND status = 'pending'`,
      )
      .bind(id, now),
    db.prepare("DELETE FROM alert_rules WHERE channel_id = ?1").bind(id),
    db.prepare("DELETE FROM alert_channels WHERE id = ?1").bind(id),
  ];
}

export function toChannelSummary(row: AlertChannelRow, now: number): AlertChannel {
  const parsed = parseChannelConfig(row.kind, row.config_json);
  const rotationEnds =
    row.previous_secret_ciphertext !== null && row.previous_secret_expires_at !== null && row.previous_secret_expires_at > now
      ? row.previous_secret_expires_at
      : null;
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason,
    disabled_at: iso(row.disabled_at),
    config: parsed.config,
    secret_hint: row.secret_hint,
    secret_rotation_ends_at: iso(rotationEnds),
    health: {
      last_success_at: iso(row.last_success_at),
      last_failure_at: iso(row.last_failure_at),
      failing_since: iso(row.failing_since),
    },
    test_schedule: row.test_schedule,
    next_test_at: iso(row.test_next_at),
    last_test:
      row.last_test_at === null
        ? null
        : {
            at: new Date(row.last_test_at).toISOString(),
            ok: row.last_test_ok === 1,
            status_code: row.last_test_status_code,
            error: row.last_test_error,
            trigger: row.last_test_trigger ?? "manual",
          },
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
