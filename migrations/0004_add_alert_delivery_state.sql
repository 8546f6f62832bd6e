-- Alert delivery state for the AlertDispatcher (worker/alerts).

-- Fan-out is idempotent: an event reaches each channel through exactly one delivery.
CREATE UNIQUE INDEX deliveries_once_per_channel ON deliveries (event_id, channel_id);

-- The body every attempt sends, frozen when the event was fanned out, so retries and redeliveries
-- carry the same bytes under the same webhook-id. Never holds a secret.
ALTER TABLE deliveries ADD COLUMN payload_json TEXT;
ALTER TABLE deliveries ADD COLUMN event_type TEXT;
-- The event's position in the outbox (events.rowid): deliveries of one run to one channel go in this order.
ALTER TABLE deliveries ADD COLUMN event_seq INTEGER;
ALTER TABLE deliveries ADD COLUMN run_id TEXT;
ALTER TABLE deliveries ADD COLUMN connection_id TEXT;
-- Attempts since the delivery was created or last redelivered: the position in the retry schedule.
ALTER TABLE deliveries ADD COLUMN cycle_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN redeliveries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN delivered_at INTEGER;

-- The head of each (channel, run) queue: an earlier pending delivery holds back the later ones.
CREATE INDEX deliveries_pending_in_order ON deliveries (channel_id, run_id, event_seq) WHERE status = 'pending';
-- The delivery log: newest first, optionally by channel, status or run.
CREATE INDEX deliveries_log_by_channel ON deliveries (channel_id, id);
CREATE INDEX deliveries_log_by_status ON deliveries (status, id);
CREATE INDEX deliveries_log_by_run ON deliveries (run_id, id);

-- Channel health: a channel failing without a success for days is disabled, and the dashboard says so.
ALTER TABLE alert_channels ADD COLUMN failing_since INTEGER;
ALTER TABLE alert_channels ADD COLUMN last_success_at INTEGER;
ALTER TABLE alert_channels ADD COLUMN last_failure_at INTEGER;

-- At most one open incident per rule and connection, whatever the timing of two failures.
CREATE UNIQUE INDEX alert_incidents_one_open ON alert_incidents (rule_id, connection_id) WHERE resolved_at IS NULL;
