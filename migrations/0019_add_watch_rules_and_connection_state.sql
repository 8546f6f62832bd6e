-- Watch (issue 17): new rule conditions, a severity and a mute per rule, a severity per incident, and the
-- connection state freshness, muting and auto-pause need.
--
-- A column's CHECK cannot be widened in place: the condition moves to a new column with the wider CHECK,
-- the old one is dropped and the new one takes its name, so no table is rebuilt and no incident (which
-- references alert_rules with ON DELETE CASCADE) is touched.
ALTER TABLE alert_rules ADD COLUMN watch_condition TEXT NOT NULL DEFAULT 'job_failed' CHECK (watch_condition IN (
  'job_failed', 'verify_mismatch', 'drifted', 'record_failure_rate', 'slow_run', 'volume_change', 'missing_spike',
  'freshness', 'destination_down', 'connection_paused'));
UPDATE alert_rules SET watch_condition = condition;
ALTER TABLE alert_rules DROP COLUMN condition;
ALTER TABLE alert_rules RENAME COLUMN watch_condition TO condition;

-- The condition's own parameters (JSON object, e.g. {"factor": 2, "window": 10}); NULL means its defaults.
ALTER TABLE alert_rules ADD COLUMN params_json TEXT;
-- The level an alert of this rule raises at, for conditions that have one level.
ALTER TABLE alert_rules ADD COLUMN severity TEXT NOT NULL DEFAULT 'critical' CHECK (severity IN ('warning', 'critical'));
-- Until then (ms), incidents still open and resolve, but nothing is sent.
ALTER TABLE alert_rules ADD COLUMN muted_until INTEGER;

-- The level an open incident is at; a change of level is one notification.
ALTER TABLE alert_incidents ADD COLUMN severity TEXT NOT NULL DEFAULT 'critical' CHECK (severity IN ('warning', 'critical'));

-- Freshness: the per-connection SLA in minutes (NULL: judged from the schedule alone).
ALTER TABLE connections ADD COLUMN freshness_sla_minutes INTEGER CHECK (freshness_sla_minutes IS NULL OR freshness_sla_minutes >= 1);
-- Until then (ms), no alert about this connection is sent.
ALTER TABLE connections ADD COLUMN alerts_muted_until INTEGER;
-- Set when the connection was paused (after failing too many runs in a row); the scheduler skips it.
ALTER TABLE connections ADD COLUMN paused_at INTEGER;
ALTER TABLE connections ADD COLUMN paused_reason TEXT;

-- Per-connection routing: alerts of this rule about this connection go to this channel instead of the rule's.
CREATE TABLE alert_routes (
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  rule_id       TEXT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  channel_id    TEXT NOT NULL REFERENCES alert_channels (id) ON DELETE CASCADE,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (connection_id, rule_id)
) WITHOUT ROWID;
CREATE INDEX alert_routes_by_rule ON alert_routes (rule_id);
CREATE INDEX alert_routes_by_channel ON alert_routes (channel_id);
