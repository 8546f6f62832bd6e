import type { Credential, CredentialConfig } from "../schemas/credentials";
import type { CredentialScheme } from "../engine/credential-auth";
import { isUniqueViolation } from "./unique-violation";

interface CredentialRow {
  id: string;
  name: string;
  scheme: CredentialScheme;
  config_json: string;
  secret_hint: string | null;
  has_secret: number;
  connection_count: number;
  refresh_hint: string | null;
  refresh_set_at: number | null;
  refresh_rotated_at: number | null;
  refresh_error: string | null;
  refresh_error_at: number | null;
  created_at: number;
  updated_at: number;
}

/** What using a credential needs; the ciphertext never leaves the worker. */
export interface StoredCredential {
  id: string;
  name: string;
  scheme: CredentialScheme;
  config: Record<string, unknown>;
  secretCiphertext: string | null;
  // oauth2_refresh_token: the refresh token now kept, sealed.
  refreshCiphertext: string | null;
}

export interface SealedSecret {
  ciphertext: string;
  hint: string;
}

export interface CredentialWrite {
  name: string;
  scheme: CredentialScheme;
  config: CredentialConfig;
  // undefined keeps the stored secret; null clears it.
  secret?: SealedSecret | null;
  // The same for an oauth2_refresh_token credential's refresh token.
  refresh?: SealedSecret | null;
}

const SELECT_CREDENTIAL = `
  SELECT c.id, c.name, c.scheme, c.config_json, c.secret_hint, c.secret_ciphertext IS NOT NULL AS has_secret,
         (SELECT COUNT(*) FROM connections WHERE credential_id = c.id) AS connection_count,
         c.refresh_hint, c.refresh_set_at, c.refresh_rotated_at, c.refresh_error, c.refresh_error_at,
         c.created_at, c.updated_at
    FROM credentials c`;

// Names are unique, so the last name of a page is a complete cursor.
export async function listCredentials(
  db: D1Database,
  options: { afterName: string | null; limit: number },
): Promise<{ data: Credential[]; lastName: string | null; hasMore: boolean }> {
  const { results } = await db
    .prepare(`${SELECT_CREDENTIAL} WHERE (?1 IS NULL OR c.name > ?1) ORDER BY c.name LIMIT ?2`)
    .bind(options.afterName, options.limit + 1)
    .all<CredentialRow>();
  const page = results.slice(0, options.limit);
  return { data: page.map(toCredential), lastName: page.at(-1)?.name ?? null, hasMore: results.length > options.limit };
}

export async function getCredential(db: D1Database, id: string): Promise<Credential | null> {
  const row = await db.prepare(`${SELECT_CREDENTIAL} WHERE c.id = ?1`).bind(id).first<CredentialRow>();
  return row ? toCredential(row) : null;
}

export async function getStoredCredential(db: D1Database, id: string): Promise<StoredCredential | null> {
  const row = await db
    .prepare("SELECT id, name, scheme, config_json, secret_ciphertext, refresh_ciphertext FROM credentials WHERE id = ?1")
    .bind(id)
    .first<{ id: string; name: string; scheme: CredentialScheme; config_json: string; secret_ciphertext: string | null; refresh_ciphertext: string | null }>();
  if (!row) return null;
  return {
    id: row.id,
    name: row.name,
    scheme: row.scheme,
    config: JSON.parse(row.config_json) as Record<string, unknown>,
    secretCiphertext: row.secret_ciphertext,
    refreshCiphertext: row.refresh_ciphertext,
  };
}

// A setting of a stored credential that is text, or undefined.
export function configText(stored: Pick<StoredCredential, "config">, key: string): string | undefined {
  const value = stored.config[key];
  return typeof value === "string" ? value : undefined;
}

export type CredentialWriteOutcome = { status: "ok"; credential: Credential } | { status: "name_taken" } | { status: "not_found" };

export async function insertCredential(db: D1Database, id: string, write: CredentialWrite, now: number): Promise<CredentialWriteOutcome> {
  try {
    await insertCredentialStatement(db, id, write, now).run();
  } catch (error) {
    if (isUniqueViolation(error, "credentials.name")) return { status: "name_taken" };
    throw error;
  }
  const credential = await getCredential(db, id);
  return credential ? { status: "ok", credential } : { status: "not_found" };
}

export async function updateCredential(db: D1Database, id: string, write: CredentialWrite, now: number): Promise<CredentialWriteOutcome> {
  try {
    const result = await updateCredentialStatement(db, id, write, now).run();
    if (result.meta.changes === 0) return { status: "not_found" };
  } catch (error) {
    if (isUniqueViolation(error, "credentials.name")) return { status: "name_taken" };
    throw error;
  }
  const credential = await getCredential(db, id);
  return credential ? { status: "ok", credential } : { status: "not_found" };
}

export function insertCredentialStatement(db: D1Database, id: string, write: CredentialWrite, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO credentials (id, name, scheme, config_json, secret_ciphertext, secret_hint, refresh_ciphertext, refresh_hint, refresh_set_at,
                                created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, CASE WHEN ?7 IS NULL THEN NULL ELSE ?9 END, ?9, ?9)`,
    )
    .bind(
      id,
      write.name,
      write.scheme,
      JSON.stringify(write.config),
      write.secret?.ciphertext ?? null,
      write.secret?.hint ?? null,
      write.refresh?.ciphertext ?? null,
      write.refresh?.hint ?? null,
      now,
    );
}

export function updateCredentialStatement(db: D1Database, id: string, write: CredentialWrite, now: number): D1PreparedStatement {
  const keepSecret = write.secret === undefined;
  // A scheme without a refresh token drops the one kept; a new one starts with no rotation and no refusal.
  const keepRefresh = write.refresh === undefined && write.scheme === "oauth2_refresh_token";
  return db
    .prepare(
      `UPDATE credentials
          SET name = ?2, scheme = ?3, config_json = ?4,
              secret_ciphertext = CASE WHEN ?5 THEN secret_ciphertext ELSE ?6 END,
              secret_hint = CASE WHEN ?5 THEN secret_hint ELSE ?7 END,
              refresh_ciphertext = CASE WHEN ?9 THEN refresh_ciphertext ELSE ?10 END,
              refresh_hint = CASE WHEN ?9 THEN refresh_hint ELSE ?11 END,
              refresh_set_at = CASE WHEN ?9 THEN refresh_set_at WHEN ?10 IS NULL THEN NULL ELSE ?8 END,
              refresh_rotated_at = CASE WHEN ?9 THEN refresh_rotated_at ELSE NULL END,
              refresh_error = CASE WHEN ?9 THEN refresh_error ELSE NULL END,
              refresh_error_at = CASE WHEN ?9 THEN refresh_error_at ELSE NULL END,
              updated_at = ?8
        WHERE id = ?1`,
    )
    .bind(
      id,
      write.name,
      write.scheme,
      JSON.stringify(write.config),
      keepSecret ? 1 : 0,
      write.secret?.ciphertext ?? null,
      write.secret?.hint ?? null,
      now,
      keepRefresh ? 1 : 0,
      write.refresh?.ciphertext ?? null,
      write.refresh?.hint ?? null,
    );
}

// The provider rotated the refresh token: the new one replaces the one sent, unless a person gave another meanwhile
// (theirs is newer). False when nothing was replaced.
export async function rotateRefreshToken(db: D1Database, id: string, sent: string, next: SealedSecret, now: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE credentials SET refresh_ciphertext = ?3, refresh_hint = ?4, refresh_rotated_at = ?5, refresh_error = NULL, refresh_error_at = NULL
        WHERE id = ?1 AND refresh_ciphertext = ?2`,
    )
    .bind(id, sent, next.ciphertext, next.hint, now)
    .run();
  return result.meta.changes > 0;
}

// What the provider last said of the refresh token sent: its refusal, or null after a success. About that token only.
export async function recordRefreshOutcome(db: D1Database, id: string, sent: string, error: string | null, now: number): Promise<void> {
  await db
    .prepare(
      `UPDATE credentials SET refresh_error = ?3, refresh_error_at = CASE WHEN ?3 IS NULL THEN NULL ELSE ?4 END
        WHERE id = ?1 AND refresh_ciphertext = ?2 AND refresh_error IS NOT ?3`,
    )
    .bind(id, sent, error, now)
    .run();
}

// Deletes nothing while a connection still uses the credential (see deleteCredential).
export function deleteCredentialStatement(db: D1Database, id: string): D1PreparedStatement {
  return db.prepare("DELETE FROM credentials WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM connections WHERE credential_id = ?1)").bind(id);
}

export interface CredentialUser {
  id: string;
  name: string;
}

export type CredentialDeleteOutcome = { status: "deleted" } | { status: "not_found" } | { status: "in_use"; connections: CredentialUser[]; total: number };

// Enough names for a refusal message; a credential with more says "and N more".
const USERS_NAMED = 20;

// One statement decides: a connection created meanwhile makes the delete a no-op rather than an orphan.
export async function deleteCredential(db: D1Database, id: string): Promise<CredentialDeleteOutcome> {
  const [deleted, found, users] = await db.batch([
    deleteCredentialStatement(db, id),
    db
      .prepare("SELECT (SELECT COUNT(*) FROM credentials WHERE id = ?1) AS found, (SELECT COUNT(*) FROM connections WHERE credential_id = ?1) AS total")
      .bind(id),
    db.prepare("SELECT id, name FROM connections WHERE credential_id = ?1 ORDER BY position, id LIMIT ?2").bind(id, USERS_NAMED),
  ]);
  if ((deleted?.meta.changes ?? 0) > 0) return { status: "deleted" };
  const counts = found?.results[0] as { found: number; total: number } | undefined;
  if (!counts || counts.found === 0) return { status: "not_found" };
  return { status: "in_use", connections: (users?.results ?? []) as CredentialUser[], total: counts.total };
}

// The contract JSON of every connection of a credential: where its auth is already sent.
export async function credentialConnectionConfigs(db: D1Database, credentialId: string): Promise<string[]> {
  const { results } = await db.prepare("SELECT config_json FROM connections WHERE credential_id = ?1").bind(credentialId).all<{ config_json: string }>();
  return results.map((row) => row.config_json);
}

function toCredential(row: CredentialRow): Credential {
  const refresh =
    row.scheme !== "oauth2_refresh_token"
      ? {}
      : {
          refresh_token:
            row.refresh_hint === null
              ? null
              : {
                  hint: row.refresh_hint,
                  set_at: iso(row.refresh_set_at ?? row.updated_at),
                  rotated_at: row.refresh_rotated_at === null ? null : iso(row.refresh_rotated_at),
                  error: row.refresh_error,
                  error_at: row.refresh_error_at === null ? null : iso(row.refresh_error_at),
                },
        };
  return {
    id: row.id,
    name: row.name,
    scheme: row.scheme,
    config: JSON.parse(row.config_json),
    has_secret: row.has_secret === 1,
    secret_hint: row.secret_hint,
    connection_count: row.connection_count,
    ...refresh,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  } as Credential;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
