-- Indexes so no list or hot-path query reads more rows as history grows: each walks an index in the order
-- it returns and stops at its limit. test/worker/ledger/list-queries-walk-indexes-not-tables.test.ts
-- checks the plan of every list query against these.

-- The next run of a credential to start: only the queue is indexed, not the credential's history.
CREATE INDEX runs_pending_by_credential ON runs (credential_id, id) WHERE status = 'pending';

-- GET /api/runs by status and credential, newest first.
CREATE INDEX runs_by_credential_status ON runs (credential_id, status, id);

-- GET /api/runs by status and connection: the run's status copied onto its jobs, kept in step by the
-- triggers below, so the connection's runs of one status are one index range.
ALTER TABLE jobs ADD COLUMN run_status TEXT;
UPDATE jobs SET run_status = (SELECT r.status FROM runs r WHERE r.id = jobs.run_id);
CREATE INDEX jobs_by_connection_run_status ON jobs (connection_id, run_status, run_id);
CREATE TRIGGER jobs_run_status_insert AFTER INSERT ON jobs
BEGIN
  UPDATE jobs SET run_status = (SELECT r.status FROM runs r WHERE r.id = NEW.run_id) WHERE id = NEW.id;
END;
CREATE TRIGGER runs_status_to_jobs AFTER UPDATE OF status ON runs
WHEN OLD.status IS NOT NEW.status
BEGIN
  UPDATE jobs SET run_status = NEW.status WHERE run_id = NEW.id;
END;
-- A prefix of jobs_stats_by_status (status, created_at, …), which serves every query it did.
DROP INDEX jobs_by_status;

-- The delivery log by event type, and by channel and status together (a channel's failures), newest first.
CREATE INDEX deliveries_log_by_event_type ON deliveries (event_type, id);
CREATE INDEX deliveries_log_by_channel_status ON deliveries (channel_id, status, id);
-- Served by deliveries_log_by_channel (channel_id, id): ids sort by creation time.
DROP INDEX deliveries_by_channel;

-- API tokens newest first without sorting the table.
CREATE INDEX api_tokens_by_created ON api_tokens (created_at, id);
