-- The ledger of Outbound Sync. Times are INTEGER milliseconds since the Unix
-- epoch (UTC) so range filters and retention use plain integer indexes.
-- JSON columns hold shapes validated by worker/engine/contracts.ts.

-- Destination auth context. Secrets are AES-GCM ciphertext under a Worker
-- secret; only `secret_hint` (e.g. "••••3f9a") is ever shown.
CREATE TABLE credentials (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  scheme            TEXT NOT NULL CHECK (scheme IN ('none', 'bearer', 'basic', 'api_key', 'oauth2_client_credentials')),
  -- Non-secret settings of the scheme: basic username, api_key header name,
  -- oauth2 token URL, client id and scope.
  config_json       TEXT NOT NULL DEFAULT '{}',
  secret_ciphertext TEXT,
  secret_hint       TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);

CREATE TABLE connections (
  id                   TEXT PRIMARY KEY,
  credential_id        TEXT NOT NULL REFERENCES credentials (id) ON DELETE RESTRICT,
  name                 TEXT NOT NULL,
  -- Execution order within the credential, dense from 1. Not UNIQUE because a
  -- reorder rewrites every position in one batch.
  position             INTEGER NOT NULL,
  enabled              INTEGER NOT NULL DEFAULT 1,
  dry_run              INTEGER NOT NULL DEFAULT 1,
  debug                INTEGER NOT NULL DEFAULT 0,
  schedule             TEXT,
  -- source, fetch, update, mapping and limits (ConnectionConfig).
  config_json          TEXT NOT NULL,
  version              INTEGER NOT NULL DEFAULT 1,
  -- Incremental cursor: the highest source updated-at seen by the last
  -- successful live full run. NULL means the next full run is complete.
  sync_cursor          TEXT,
  -- Consecutive failed jobs, for alert thresholds; reset by a success.
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  last_status          TEXT,
  last_run_at          INTEGER,
  last_success_at      INTEGER,
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
);
CREATE INDEX connections_by_credential ON connections (credential_id, position);
CREATE UNIQUE INDEX connections_name_per_credential ON connections (credential_id, name);
CREATE INDEX connections_scheduled ON connections (schedule) WHERE schedule IS NOT NULL AND enabled = 1;

-- One row per configuration change: the full configuration as it was after
-- the change, so a job's `connection_version` can be shown exactly.
CREATE TABLE connection_versions (
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  version       INTEGER NOT NULL,
  snapshot_json TEXT NOT NULL,
  changed_by    TEXT NOT NULL,
  changed_at    INTEGER NOT NULL,
  change_note   TEXT,
  PRIMARY KEY (connection_id, version)
) WITHOUT ROWID;

-- Serials that failed in the last live run; the next incremental full run
-- processes them again whether or not the source changed.
CREATE TABLE connection_retry_serials (
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  serial        TEXT NOT NULL,
  failed_at     INTEGER NOT NULL,
  PRIMARY KEY (connection_id, serial)
) WITHOUT ROWID;

-- Records pushed into the product for `dataset` sources (JSON, NDJSON, CSV).
CREATE TABLE dataset_records (
  connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
  serial        TEXT NOT NULL,
  record_json   TEXT NOT NULL,
  -- When the record last changed (upload time, or the record's own
  -- updated-at when the contract names one); drives incremental runs.
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (connection_id, serial)
) WITHOUT ROWID;
CREATE INDEX dataset_records_changed ON dataset_records (connection_id, updated_at, serial);

-- Exactly-once scheduling: a due tick is claimed by inserting its row; a
-- second firing of the trigger for the same tick finds the key taken.
CREATE TABLE schedule_ticks (
  connection_id TEXT NOT NULL,
  due_at        INTEGER NOT NULL,
  outcome       TEXT NOT NULL CHECK (outcome IN ('started', 'skipped')),
  run_id        TEXT,
  reason        TEXT,
  recorded_at   INTEGER NOT NULL,
  PRIMARY KEY (connection_id, due_at)
) WITHOUT ROWID;
CREATE INDEX schedule_ticks_by_time ON schedule_ticks (recorded_at);

-- The folder row of the jobs view. `id` sorts by creation time, so newest
-- first is ORDER BY id DESC and cursors are plain ids.
CREATE TABLE runs (
  id                    TEXT PRIMARY KEY,
  credential_id         TEXT NOT NULL,
  credential_name       TEXT NOT NULL,
  type                  TEXT NOT NULL CHECK (type IN ('full', 'single')),
  serial                TEXT,
  mode                  TEXT NOT NULL CHECK (mode IN ('dry', 'live')),
  "trigger"             TEXT NOT NULL CHECK ("trigger" IN ('manual', 'schedule', 'api', 'rerun')),
  requested_by          TEXT NOT NULL,
  status                TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'canceled')),
  -- Chosen connection ids (JSON array), NULL for all enabled connections.
  scope_json            TEXT,
  reset                 INTEGER NOT NULL DEFAULT 0,
  rerun_of              TEXT,
  idempotency_key       TEXT,
  connection_count      INTEGER NOT NULL DEFAULT 0,
  connections_succeeded INTEGER NOT NULL DEFAULT 0,
  connections_failed    INTEGER NOT NULL DEFAULT 0,
  cancel_requested_at   INTEGER,
  created_at            INTEGER NOT NULL,
  started_at            INTEGER,
  finished_at           INTEGER
);
CREATE INDEX runs_by_status ON runs (status, id);
CREATE INDEX runs_by_credential ON runs (credential_id, id);
CREATE INDEX runs_by_type_mode ON runs (type, mode, id);
CREATE INDEX runs_by_created ON runs (created_at);
CREATE INDEX runs_by_serial ON runs (serial, id) WHERE serial IS NOT NULL;
CREATE UNIQUE INDEX runs_idempotency ON runs (idempotency_key) WHERE idempotency_key IS NOT NULL;
-- At most one active run per credential: the database refuses a second.
CREATE UNIQUE INDEX runs_one_active_per_credential ON runs (credential_id) WHERE status = 'running';

-- The connection row inside a folder: one connection's execution in a run.
CREATE TABLE jobs (
  id                  TEXT PRIMARY KEY,
  run_id              TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  connection_id       TEXT NOT NULL,
  connection_name     TEXT NOT NULL,
  connection_version  INTEGER NOT NULL,
  position            INTEGER NOT NULL,
  status              TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'canceled')),
  in_scope            INTEGER,
  processed           INTEGER NOT NULL DEFAULT 0,
  would_update        INTEGER NOT NULL DEFAULT 0,
  updated             INTEGER NOT NULL DEFAULT 0,
  skipped_rule        INTEGER NOT NULL DEFAULT 0,
  skipped_no_change   INTEGER NOT NULL DEFAULT 0,
  missing_source      INTEGER NOT NULL DEFAULT 0,
  missing_destination INTEGER NOT NULL DEFAULT 0,
  failed              INTEGER NOT NULL DEFAULT 0,
  bytes_sent          INTEGER NOT NULL DEFAULT 0,
  bytes_received      INTEGER NOT NULL DEFAULT 0,
  error_code          TEXT,
  error_http_status   INTEGER,
  error_message       TEXT,
  error_hint          TEXT,
  created_at          INTEGER NOT NULL,
  started_at          INTEGER,
  finished_at         INTEGER,
  duration_ms         INTEGER
);
CREATE INDEX jobs_by_run ON jobs (run_id, position);
CREATE INDEX jobs_by_connection ON jobs (connection_id, created_at);
CREATE INDEX jobs_by_status ON jobs (status, created_at);
CREATE INDEX jobs_by_created ON jobs (created_at);

-- Per serial per job. `changes_json` is [{field, before, after}].
CREATE TABLE record_outcomes (
  job_id          TEXT NOT NULL,
  serial          TEXT NOT NULL,
  run_id          TEXT NOT NULL,
  action          TEXT NOT NULL CHECK (action IN ('would_update', 'updated', 'skipped_rule', 'skipped_no_change', 'missing_source', 'missing_destination', 'failed')),
  changes_json    TEXT,
  http_status     INTEGER,
  payload_excerpt TEXT,
  error           TEXT,
  recorded_at     INTEGER NOT NULL,
  PRIMARY KEY (job_id, serial)
) WITHOUT ROWID;
CREATE INDEX record_outcomes_by_action ON record_outcomes (job_id, action, serial);
CREATE INDEX record_outcomes_by_serial ON record_outcomes (serial, run_id);

CREATE TABLE logs (
  id        INTEGER PRIMARY KEY,
  job_id    TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  at        INTEGER NOT NULL,
  level     TEXT NOT NULL CHECK (level IN ('INFO', 'WARN', 'ERROR', 'DEBUG')),
  message   TEXT NOT NULL,
  serial    TEXT
);
CREATE UNIQUE INDEX logs_by_job ON logs (job_id, seq);
CREATE INDEX logs_by_job_level ON logs (job_id, level, seq);
CREATE INDEX logs_by_time ON logs (at);

-- Full-text index over log messages and serials, kept in step with `logs`
-- by the triggers below (external content: the text is stored once).
CREATE VIRTUAL TABLE logs_fts USING fts5 (message, serial, content = 'logs', content_rowid = 'id');
CREATE TRIGGER logs_fts_insert AFTER INSERT ON logs BEGIN
  INSERT INTO logs_fts (rowid, message, serial) VALUES (new.id, new.message, new.serial);
END;
CREATE TRIGGER logs_fts_delete AFTER DELETE ON logs BEGIN
  INSERT INTO logs_fts (logs_fts, rowid, message, serial) VALUES ('delete', old.id, old.message, old.serial);
END;

-- Outbox: written in the same batch as the status change it describes, then
-- fanned out into deliveries by the dispatcher.
CREATE TABLE events (
  id            TEXT PRIMARY KEY,
  type          TEXT NOT NULL CHECK (type IN ('run.status_changed', 'job.status_changed', 'alert.raised', 'alert.resolved')),
  run_id        TEXT,
  job_id        TEXT,
  connection_id TEXT,
  payload_json  TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  -- Set once the event has been fanned out into deliveries.
  dispatched_at INTEGER
);
CREATE INDEX events_undispatched ON events (created_at) WHERE dispatched_at IS NULL;
CREATE INDEX events_by_run ON events (run_id, created_at);
CREATE INDEX events_by_created ON events (created_at);

CREATE TABLE alert_channels (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  kind              TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'pagerduty', 'email')),
  -- URL, recipients, event type filter; secrets (signing secret, routing
  -- key) are in secret_ciphertext.
  config_json       TEXT NOT NULL,
  secret_ciphertext TEXT,
  secret_hint       TEXT,
  -- Previous signing secret, still sent during a rotation window.
  previous_secret_ciphertext TEXT,
  previous_secret_expires_at INTEGER,
  enabled           INTEGER NOT NULL DEFAULT 1,
  disabled_reason   TEXT,
  disabled_at       INTEGER,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);

CREATE TABLE alert_rules (
  id                 TEXT PRIMARY KEY,
  channel_id         TEXT NOT NULL REFERENCES alert_channels (id) ON DELETE CASCADE,
  -- JSON array of connection ids; NULL means every connection.
  connection_ids_json TEXT,
  failure_threshold  INTEGER NOT NULL DEFAULT 1 CHECK (failure_threshold >= 1),
  notify_recovery    INTEGER NOT NULL DEFAULT 1,
  enabled            INTEGER NOT NULL DEFAULT 1,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
CREATE INDEX alert_rules_by_channel ON alert_rules (channel_id);

-- An alert that is raised and not yet resolved, per rule and connection;
-- `dedup_key` is stable so PagerDuty can resolve the same incident.
CREATE TABLE alert_incidents (
  rule_id       TEXT NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  connection_id TEXT NOT NULL,
  dedup_key     TEXT NOT NULL,
  raised_at     INTEGER NOT NULL,
  resolved_at   INTEGER,
  PRIMARY KEY (rule_id, connection_id, raised_at)
) WITHOUT ROWID;
CREATE INDEX alert_incidents_open ON alert_incidents (connection_id) WHERE resolved_at IS NULL;

-- One event to one channel. `webhook_id` stays the same across retries and
-- redeliveries so receivers can deduplicate.
CREATE TABLE deliveries (
  id              TEXT PRIMARY KEY,
  event_id        TEXT NOT NULL,
  channel_id      TEXT NOT NULL,
  webhook_id      TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempt_count   INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_status_code INTEGER,
  last_error      TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_channel ON deliveries (channel_id, created_at);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_created ON deliveries (created_at);

CREATE TABLE delivery_attempts (
  delivery_id      TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt          INTEGER NOT NULL,
  attempted_at     INTEGER NOT NULL,
  status_code      INTEGER,
  duration_ms      INTEGER NOT NULL,
  response_excerpt TEXT,
  error            TEXT,
  PRIMARY KEY (delivery_id, attempt)
) WITHOUT ROWID;

-- Small keyed settings: retention plan, log export target, scheduler
-- heartbeats. Values are JSON.
CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  -- SHA-256 of the token; the token itself is shown once at creation.
  token_hash   TEXT NOT NULL UNIQUE,
  -- First characters of the token, to recognise it in the list.
  token_prefix TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);

-- One row per retention pass, so Settings can show what the last purge did
-- and an interrupted pass resumes where it stopped.
CREATE TABLE retention_passes (
  id          TEXT PRIMARY KEY,
  cutoff      INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
  deleted_json TEXT NOT NULL DEFAULT '{}',
  error       TEXT,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX retention_passes_by_start ON retention_passes (started_at);

-- Log export per UTC day: nothing of a day is purged before its export is
-- `succeeded` (when export is configured).
CREATE TABLE log_exports (
  day         TEXT PRIMARY KEY,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  object_keys_json TEXT,
  bytes       INTEGER,
  error       TEXT,
  attempted_at INTEGER NOT NULL,
  exported_at INTEGER
) WITHOUT ROWID;
