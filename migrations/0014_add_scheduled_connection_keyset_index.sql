-- The minute cron pages through the scheduled connections by (credential_id, id) so each page is one index
-- range and a credential's connections arrive together (one run per credential). Covering: the page reads
-- only this index, never the connections' configurations.
CREATE INDEX connections_scheduled_by_credential ON connections (credential_id, id, schedule, updated_at)
  WHERE schedule IS NOT NULL AND enabled = 1;
