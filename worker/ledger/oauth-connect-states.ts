import type { SealedSecret } from "./credentials";

export interface ConnectState {
  credentialId: string;
  // Sealed (SECRET_BINDINGS.connectVerifier).
  codeVerifier: string;
  redirectUri: string;
  startedBy: string;
}

export async function insertConnectState(db: D1Database, stateHash: string, state: ConnectState, expiresAt: number, now: number): Promise<void> {
  await db.batch([
    // Authorizations abandoned at the provider are not left behind.
    db.prepare("DELETE FROM oauth_connect_states WHERE expires_at <= ?1").bind(now),
    db
      .prepare(
        `INSERT INTO oauth_connect_states (state_hash, credential_id, code_verifier, redirect_uri, started_by, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)`,
      )
      .bind(stateHash, state.credentialId, state.codeVerifier, state.redirectUri, state.startedBy, expiresAt),
  ]);
}

// Taken once: a state sent back twice (a reload of the callback, a replay) finds nothing the second time.
export async function takeConnectState(db: D1Database, stateHash: string, now: number): Promise<ConnectState | null> {
  const row = await db
    .prepare("DELETE FROM oauth_connect_states WHERE state_hash = ?1 RETURNING credential_id, code_verifier, redirect_uri, started_by, expires_at")
    .bind(stateHash)
    .first<{ credential_id: string; code_verifier: string; redirect_uri: string; started_by: string; expires_at: number }>();
  if (row === null || row.expires_at <= now) return null;
  return { credentialId: row.credential_id, codeVerifier: row.code_verifier, redirectUri: row.redirect_uri, startedBy: row.started_by };
}

// Connect's result: the credential's refresh token, as if a person had pasted it (no rotation, no refusal yet).
export async function connectRefreshToken(db: D1Database, credentialId: string, refresh: SealedSecret, now: number): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE credentials
          SET refresh_ciphertext = ?2, refresh_hint = ?3, refresh_set_at = ?4, refresh_rotated_at = NULL, refresh_error = NULL,
              refresh_error_at = NULL, updated_at = ?4
        WHERE id = ?1 AND scheme = 'oauth2_refresh_token'`,
    )
    .bind(credentialId, refresh.ciphertext, refresh.hint, now)
    .run();
  return result.meta.changes > 0;
}
