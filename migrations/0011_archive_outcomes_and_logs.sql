-- Per-serial outcomes and log lines of new jobs live in the R2 archive (binding ARCHIVE), not here: D1 keeps
-- what is queried across jobs and grows with the fleet, not with history.

-- The UTC day (YYYY-MM-DD of created_at) under which the job's archive lives: jobs/<day>/<job id>/.
-- NULL for jobs created before this migration: their outcomes and logs stay rows of record_outcomes and
-- logs and are read from there.
ALTER TABLE jobs ADD COLUMN archive_day TEXT;
-- record_outcomes holds, for an archived job, only its exceptions (changed, failed, missing), at most a
-- tuning number per job (worker/runs/coordinator-config.ts); this says how many more the archive holds.
ALTER TABLE jobs ADD COLUMN exceptions_omitted INTEGER NOT NULL DEFAULT 0;

-- The latest outcome of each serial per connection, bounded by the fleet: a row is written only when the
-- action differs from the one it holds, so an unchanged serial in steady state writes nothing. job_id,
-- run_id and at say when the serial last changed action. The key serves the per-connection reads; the
-- retry list of the next incremental run comes from the coordinator's complete set of failed serials.
CREATE TABLE latest_outcomes (
  connection_id TEXT NOT NULL,
  serial        TEXT NOT NULL,
  action        TEXT NOT NULL CHECK (action IN ('would_update', 'updated', 'skipped_rule', 'skipped_no_change', 'missing_source', 'missing_destination', 'failed')),
  job_id        TEXT NOT NULL,
  run_id        TEXT NOT NULL,
  at            INTEGER NOT NULL,
  PRIMARY KEY (connection_id, serial)
) WITHOUT ROWID;
