-- Destination circuit breaker (issue 17): one row per destination host whose breaker has ever opened. The
-- row changes only on a transition (opened, probing, reopened, closed); the per-request counting happens in
-- the host's DestinationBreaker Durable Object, so no request writes D1.
CREATE TABLE destination_breakers (
  host             TEXT PRIMARY KEY,
  state            TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half_open')),
  opened_at        INTEGER,
  failed_probes    INTEGER NOT NULL DEFAULT 0,
  next_probe_at    INTEGER,
  probe_run_id     TEXT,
  probe_started_at INTEGER,
  last_error       TEXT,
  last_failure_at  INTEGER,
  closed_at        INTEGER,
  updated_at       INTEGER NOT NULL
) WITHOUT ROWID;

-- A running job held back by an open breaker: the host and when it looks again. Cleared when it resumes.
ALTER TABLE jobs ADD COLUMN waiting_host TEXT;
ALTER TABLE jobs ADD COLUMN waiting_until INTEGER;
CREATE INDEX jobs_waiting_by_host ON jobs (waiting_host) WHERE waiting_host IS NOT NULL;
