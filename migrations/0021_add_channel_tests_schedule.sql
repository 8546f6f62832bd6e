-- Channel health (issue 17): a channel may send a test message on a schedule, and keeps what its last test
-- (scheduled or sent by hand) got back, so a quiet channel can be told apart from a broken one.
-- 5-field cron in UTC; NULL: no scheduled test.
ALTER TABLE alert_channels ADD COLUMN test_schedule TEXT;
-- When the next scheduled test is due (ms); NULL without a schedule. The minute tick claims due channels along
-- the index below, moving this forward in the same statement, so a tick that runs twice sends one test.
ALTER TABLE alert_channels ADD COLUMN test_next_at INTEGER;
ALTER TABLE alert_channels ADD COLUMN last_test_at INTEGER;
ALTER TABLE alert_channels ADD COLUMN last_test_ok INTEGER;
ALTER TABLE alert_channels ADD COLUMN last_test_status_code INTEGER;
ALTER TABLE alert_channels ADD COLUMN last_test_error TEXT;
ALTER TABLE alert_channels ADD COLUMN last_test_trigger TEXT CHECK (last_test_trigger IS NULL OR last_test_trigger IN ('scheduled', 'manual'));
CREATE INDEX alert_channels_test_due ON alert_channels (test_next_at) WHERE test_next_at IS NOT NULL;
