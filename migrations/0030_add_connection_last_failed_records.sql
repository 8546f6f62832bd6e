-- A connection's last status said only "completed" when its last job completed with failed records, so the
-- connections list showed a plain green check for it. The job's failed-record count is kept beside the status
-- (set by the same guarded update), so every place can say "Completed with N failed records".
ALTER TABLE connections ADD COLUMN last_failed_records INTEGER NOT NULL DEFAULT 0;
-- Existing connections take the count from the job their last status came from.
UPDATE connections
   SET last_failed_records = COALESCE((
         SELECT j.failed FROM jobs j
          WHERE j.connection_id = connections.id AND j.finished_at = connections.last_run_at
          ORDER BY j.created_at DESC LIMIT 1), 0)
 WHERE last_status = 'completed';
