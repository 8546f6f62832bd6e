import type { ApiTokenSummary } from "../schemas/tokens";
import type { Role } from "../auth/principal";
import type { SqlQuery } from "./sql-query";

interface ApiTokenRow {
  id: string;
  name: string;
  role: Role;
  token_prefix: string;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number | null;
}

export interface NewApiToken {
  id: string;
  name: string;
  role: Role;
  tokenHash: string;
  tokenPrefix: string;
  createdBy: string;
  now: number;
  expiresAt: number | null;
}

// Every column but the hash: the hash never leaves this module.
const SUMMARY_COLUMNS = "id, name, role, token_prefix, created_by, created_at, last_used_at, revoked_at, expires_at";

export async function insertApiToken(db: D1Database, token: NewApiToken): Promise<ApiTokenSummary> {
  const row = await db
    .prepare(
      `INSERT INTO api_tokens (id, name, role, token_hash, token_prefix, created_by, created_at, expires_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
       RETURNING ${SUMMARY_COLUMNS}`,
    )
    .bind(token.id, token.name, token.role, token.tokenHash, token.tokenPrefix, token.createdBy, token.now, token.expiresAt)
    .first<ApiTokenRow>();
  if (!row) throw new Error("INSERT … RETURNING gave no row");
  return toSummary(row);
}

// api_tokens_by_created (migration 0012) gives the order, so the table is not sorted for each listing.
export function buildApiTokenListQuery(): SqlQuery {
  return { sql: `SELECT ${SUMMARY_COLUMNS} FROM api_tokens ORDER BY created_at DESC, id DESC`, params: [] };
}

/** Newest first, revoked and expired ones included so the list shows what was turned off and when. */
export async function listApiTokens(db: D1Database): Promise<ApiTokenSummary[]> {
  const { sql, params } = buildApiTokenListQuery();
  const { results } = await db
    .prepare(sql)
    .bind(...params)
    .all<ApiTokenRow>();
  return results.map(toSummary);
}

/** What authentication needs: times stay numbers so the caller can skip a redundant last-used write. */
export interface ApiTokenForAuth {
  id: string;
  name: string;
  role: Role;
  lastUsedAt: number | null;
  revokedAt: number | null;
  expiresAt: number | null;
}

export async function findApiTokenByHash(db: D1Database, tokenHash: string): Promise<ApiTokenForAuth | null> {
  const row = await db
    .prepare("SELECT id, name, role, last_used_at, revoked_at, expires_at FROM api_tokens WHERE token_hash = ?1")
    .bind(tokenHash)
    .first<Pick<ApiTokenRow, "id" | "name" | "role" | "last_used_at" | "revoked_at" | "expires_at">>();
  return row ? { id: row.id, name: row.name, role: row.role, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at, expiresAt: row.expires_at } : null;
}

// The WHERE clause makes concurrent requests within the interval a no-op rather than a write each.
export async function touchApiToken(db: D1Database, id: string, now: number, minIntervalMs: number): Promise<void> {
  await db
    .prepare("UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at <= ?3)")
    .bind(id, now, now - minIntervalMs)
    .run();
}

export type RevokeOutcome = { status: "revoked"; token: ApiTokenSummary } | { status: "not_found" } | { status: "last_admin"; token: ApiTokenSummary };

/**
 * Revoking twice is harmless (the first time is kept). The last active (unrevoked, unexpired) admin token is
 * refused in the same statement, so two concurrent revocations cannot leave nobody able to manage tokens.
 */
export async function revokeApiToken(db: D1Database, id: string, now: number): Promise<RevokeOutcome> {
  const [, selected] = await db.batch<ApiTokenRow>([
    db
      .prepare(
        `UPDATE api_tokens SET revoked_at = ?2
          WHERE id = ?1 AND revoked_at IS NULL
            AND (role <> 'admin' OR (expires_at IS NOT NULL AND expires_at <= ?2)
                 OR (SELECT COUNT(*) FROM api_tokens
                      WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)) > 1)`,
      )
      .bind(id, now),
    db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM api_tokens WHERE id = ?1`).bind(id),
  ]);
  const row = selected?.results[0];
  if (!row) return { status: "not_found" };
  const token = toSummary(row);
  return row.revoked_at === null ? { status: "last_admin", token } : { status: "revoked", token };
}

function toSummary(row: ApiTokenRow): ApiTokenSummary {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.token_prefix,
    created_by: row.created_by,
    created_at: new Date(row.created_at).toISOString(),
    last_used_at: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
    revoked_at: row.revoked_at === null ? null : new Date(row.revoked_at).toISOString(),
    expires_at: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
  };
}
