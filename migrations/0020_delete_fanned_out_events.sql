-- The outbox keeps only what is still to fan out (issue 15): fan-out deletes its event in the batch that
-- writes the deliveries, which keep the rendered payload, the type and the event's position for the delivery
-- log and every resend. Deliveries order a run's changes by that position (the event's rowid), so a deleted
-- event's rowid must never be handed out again: the table is rebuilt with an AUTOINCREMENT key.
CREATE TABLE events_outbox (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT NOT NULL UNIQUE,
  type          TEXT NOT NULL CHECK (type IN ('run.status_changed', 'job.status_changed', 'alert.raised', 'alert.resolved')),
  run_id        TEXT,
  job_id        TEXT,
  connection_id TEXT,
  payload_json  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  -- Always NULL for a row still here; kept so a ledger written before this migration reads the same.
  dispatched_at INTEGER
);
-- Only what is still to fan out is copied (a ledger keeps its dispatched events for the retention window), and
-- the newest event too, so AUTOINCREMENT starts above every position handed out; then the dispatched ones go.
INSERT INTO events_outbox (seq, id, type, run_id, job_id, connection_id, payload_json, created_at, dispatched_at)
  SELECT rowid, id, type, run_id, job_id, connection_id, payload_json, created_at, dispatched_at FROM events
   WHERE dispatched_at IS NULL OR rowid = (SELECT MAX(rowid) FROM events) ORDER BY rowid;
DELETE FROM events_outbox WHERE dispatched_at IS NOT NULL;
DROP TABLE events;
ALTER TABLE events_outbox RENAME TO events;
CREATE INDEX events_undispatched ON events (created_at) WHERE dispatched_at IS NULL;
CREATE INDEX events_by_run ON events (run_id, created_at);
CREATE INDEX events_by_created ON events (created_at);
CREATE INDEX events_undispatched_by_run ON events (run_id) WHERE dispatched_at IS NULL;
CREATE INDEX events_undispatched_by_connection ON events (connection_id) WHERE dispatched_at IS NULL;
