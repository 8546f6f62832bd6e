-- Indexes for GET /api/runs: every filter walks an index newest first and
-- stops at the page size. since/until need none: run ids encode their
-- creation time, so a time range is an id range on any (…, id) index.
CREATE INDEX runs_by_type ON runs (type, id);
CREATE INDEX runs_by_mode ON runs (mode, id);
-- Runs of one connection, newest first, without touching other connections' jobs.
CREATE INDEX jobs_by_connection_run ON jobs (connection_id, run_id);
