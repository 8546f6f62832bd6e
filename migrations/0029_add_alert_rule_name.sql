-- Issue 19, configuration as code: a document keys every entry by name (ids differ between environments), and
-- rules had none. NULL for rules made in the dashboard or API: the export then names them after their channel
-- and condition. Unique among named rules only.
ALTER TABLE alert_rules ADD COLUMN name TEXT;
CREATE UNIQUE INDEX alert_rules_by_name ON alert_rules (name) WHERE name IS NOT NULL;
