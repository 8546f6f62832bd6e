// Idempotency keys of POST /api/runs: one row per (caller, key), valid for 24 hours from first use.

export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;

export interface IdempotencyKey {
  caller: string;
  key: string;
}

export interface StoredIdempotencyKey {
  run_id: string;
  request_hash: string;
}

export async function findLiveIdempotencyKey(db: D1Database, id: IdempotencyKey, now: number): Promise<StoredIdempotencyKey | null> {
  return db
    .prepare("SELECT run_id, request_hash FROM run_idempotency_keys WHERE caller = ?1 AND key = ?2 AND created_at > ?3")
    .bind(id.caller, id.key, now - IDEMPOTENCY_KEY_TTL_MS)
    .first<StoredIdempotencyKey>();
}

// Go first in the run's insert batch: an expired row makes way, a live one fails the INSERT (unique
// primary key) and with it the whole batch, so two racing requests create one run.
export function claimIdempotencyKeyStatements(db: D1Database, id: IdempotencyKey, runId: string, requestHash: string, now: number): D1PreparedStatement[] {
  return [
    db.prepare("DELETE FROM run_idempotency_keys WHERE caller = ?1 AND key = ?2 AND created_at <= ?3").bind(id.caller, id.key, now - IDEMPOTENCY_KEY_TTL_MS),
    db
      .prepare("INSERT INTO run_idempotency_keys (caller, key, run_id, request_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(id.caller, id.key, runId, requestHash, now),
  ];
}

/** Deletes up to `limit` expired keys, oldest first; returns how many went. */
export async function purgeExpiredIdempotencyKeys(db: D1Database, now: number, limit = 500): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM run_idempotency_keys WHERE rowid IN (
         SELECT rowid FROM run_idempotency_keys INDEXED BY run_idempotency_keys_by_created
          WHERE created_at <= ?1 ORDER BY created_at LIMIT ?2)`,
    )
    .bind(now - IDEMPOTENCY_KEY_TTL_MS, limit)
    .run();
  return result.meta.changes;
}
