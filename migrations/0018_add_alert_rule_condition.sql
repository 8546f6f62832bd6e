-- What an alert rule watches: failed jobs in a row (every rule so far), or a job with records the destination
-- did not store as sent (verify_mismatch) or an apply run that found its plan outdated (drifted). For those two,
-- failure_threshold is the number of such records in one job that raises the alert.
ALTER TABLE alert_rules ADD COLUMN condition TEXT NOT NULL DEFAULT 'job_failed' CHECK (condition IN ('job_failed', 'verify_mismatch', 'drifted'));
