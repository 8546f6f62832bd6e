-- Plan and apply: an apply run names the dry run whose plan it sends (runs.plan_run_id), and each of its jobs
-- the dry job of the same connection whose plan chunks it loads (jobs.plan_job_id). NULL for every other run.
ALTER TABLE runs ADD COLUMN plan_run_id TEXT;
ALTER TABLE jobs ADD COLUMN plan_job_id TEXT;
-- "Which runs apply this dry run" without reading runs that apply nothing.
CREATE INDEX runs_by_plan_run ON runs (plan_run_id, id) WHERE plan_run_id IS NOT NULL;
-- A plan is applied once: a second apply run is refused while one is pending, running or completed (a failed or
-- canceled apply may be followed by another).
CREATE UNIQUE INDEX runs_one_apply_per_plan ON runs (plan_run_id) WHERE plan_run_id IS NOT NULL AND status IN ('pending', 'running', 'completed');
