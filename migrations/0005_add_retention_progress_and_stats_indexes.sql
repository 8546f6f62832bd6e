-- Retention passes resume where they stopped: the phase and cursor they
-- reached, and a lease so two triggers never work the same pass at once.
ALTER TABLE retention_passes ADD COLUMN progress_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE retention_passes ADD COLUMN lease_until INTEGER;
ALTER TABLE retention_passes ADD COLUMN invocations INTEGER NOT NULL DEFAULT 0;
ALTER TABLE retention_passes ADD COLUMN longest_statement_ms REAL NOT NULL DEFAULT 0;
CREATE INDEX retention_passes_running ON retention_passes (started_at) WHERE status = 'running';

-- A day's export is written in chunks; the cursor lets a large day continue
-- in the next invocation instead of starting over.
ALTER TABLE log_exports ADD COLUMN target TEXT;
ALTER TABLE log_exports ADD COLUMN progress_json TEXT;
ALTER TABLE log_exports ADD COLUMN job_count INTEGER;
ALTER TABLE log_exports ADD COLUMN log_count INTEGER;

-- Stats: per-connection counts, averages and percentiles over a time window
-- read only the index, never the job rows.
CREATE INDEX jobs_stats_by_connection ON jobs (connection_id, status, created_at, duration_ms);
CREATE INDEX jobs_stats_by_status ON jobs (status, created_at, connection_id, duration_ms);
