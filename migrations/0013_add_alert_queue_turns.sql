-- Alerts through the alerts queue and one sender Durable Object per channel (issue 15).

-- The earliest pending delivery of its (channel, run) is next in line: only it may be sent, so a receiver
-- sees a run's changes in order. Kept up to date by fan-out, each recorded attempt and Redeliver, so a
-- channel's sender finds its due work through an index instead of walking the channel's backlog.
ALTER TABLE deliveries ADD COLUMN next_in_line INTEGER NOT NULL DEFAULT 0;
UPDATE deliveries SET next_in_line = 1
 WHERE status = 'pending' AND NOT EXISTS (
   SELECT 1 FROM deliveries p
    WHERE p.status = 'pending' AND p.channel_id = deliveries.channel_id AND p.run_id = deliveries.run_id AND p.event_seq < deliveries.event_seq);
CREATE INDEX deliveries_in_line_due ON deliveries (channel_id, next_attempt_at, event_seq) WHERE status = 'pending' AND next_in_line = 1;

-- An event is fanned out only after the earlier undispatched events of its run and of its connection, so
-- deliveries keep the outbox order and alert rules see failures and recoveries in the order they happened.
-- Also how a writer finds the event ids its commit produced.
CREATE INDEX events_undispatched_by_run ON events (run_id) WHERE dispatched_at IS NULL;
CREATE INDEX events_undispatched_by_connection ON events (connection_id) WHERE dispatched_at IS NULL;
