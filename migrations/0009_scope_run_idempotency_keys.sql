-- Idempotency-Key on POST /api/runs belongs to one caller and lives 24 hours. Keys move out of runs into
-- their own table keyed by (caller, key), so the same key from another caller or after a day makes a new
-- run; the expiry index lets the minute tick purge old keys in bounded batches.
-- Keys stored before this migration had no caller: they are not carried over (they were global, and at
-- worst a retry sent across the deploy creates a second run).
CREATE TABLE run_idempotency_keys (
  -- "token:<token id>" or "access:<Access subject>"
  caller       TEXT NOT NULL,
  key          TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  -- SHA-256 of the normalised request: the same key with another body is refused.
  request_hash TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (caller, key)
);
CREATE INDEX run_idempotency_keys_by_created ON run_idempotency_keys (created_at);

DROP INDEX runs_idempotency;
