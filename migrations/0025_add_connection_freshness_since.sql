-- Freshness (issue 17): when a connection's freshness clock last (re)started. Set on creation and whenever the
-- schedule, the freshness SLA, enabled or dry-run mode changes, so a connection just scheduled, re-enabled or
-- switched to live is not judged against successes it was never asked for. Existing rows start from their last
-- change, the latest moment any of these could have changed.
ALTER TABLE connections ADD COLUMN freshness_since INTEGER;
UPDATE connections SET freshness_since = updated_at;
