-- Quiet failures (issue 17): a run's failed records, the sum of its jobs' `failed`, kept on the run so a
-- run list shows "Completed with N failed records" without reading every run's jobs. Each job's finish
-- rewrites it from the jobs (run-writes.ts jobFinishStatements), so a replayed finish changes nothing.
ALTER TABLE runs ADD COLUMN failed_records INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET failed_records = (SELECT SUM(j.failed) FROM jobs j WHERE j.run_id = runs.id)
 WHERE id IN (SELECT DISTINCT run_id FROM jobs WHERE failed > 0);
