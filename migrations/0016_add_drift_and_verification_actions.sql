-- Three more record actions: drifted (an apply run left a planned serial unwritten because what the plan saw
-- no longer holds), verified and verify_mismatch (written and read back: every written field as sent, or not).
-- Jobs count them like every other action; an outcome may name the fields that did not hold what was expected.

ALTER TABLE jobs ADD COLUMN drifted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN verify_mismatch INTEGER NOT NULL DEFAULT 0;

-- SQLite cannot alter a CHECK constraint: record_outcomes and latest_outcomes are rebuilt with the new actions
-- in their CHECKs, rows copied, and every index recreated under its old name (the query builders name them
-- with INDEXED BY). `differences_json` is [{field, expected, found, side}], NULL when there are none.
CREATE TABLE record_outcomes_0016 (
  job_id           TEXT NOT NULL,
  serial           TEXT NOT NULL,
  run_id           TEXT NOT NULL,
  action           TEXT NOT NULL CHECK (action IN ('would_update', 'updated', 'skipped_rule', 'skipped_no_change', 'missing_source',
                                                   'missing_destination', 'failed', 'drifted', 'verified', 'verify_mismatch')),
  changes_json     TEXT,
  http_status      INTEGER,
  payload_excerpt  TEXT,
  error            TEXT,
  recorded_at      INTEGER NOT NULL,
  differences_json TEXT,
  PRIMARY KEY (job_id, serial)
) WITHOUT ROWID;
INSERT INTO record_outcomes_0016 (job_id, serial, run_id, action, changes_json, http_status, payload_excerpt, error, recorded_at)
  SELECT job_id, serial, run_id, action, changes_json, http_status, payload_excerpt, error, recorded_at FROM record_outcomes;
DROP TABLE record_outcomes;
ALTER TABLE record_outcomes_0016 RENAME TO record_outcomes;
CREATE INDEX record_outcomes_by_action ON record_outcomes (job_id, action, serial);
CREATE INDEX record_outcomes_by_serial ON record_outcomes (serial, run_id);

CREATE TABLE latest_outcomes_0016 (
  connection_id TEXT NOT NULL,
  serial        TEXT NOT NULL,
  action        TEXT NOT NULL CHECK (action IN ('would_update', 'updated', 'skipped_rule', 'skipped_no_change', 'missing_source',
                                                'missing_destination', 'failed', 'drifted', 'verified', 'verify_mismatch')),
  job_id        TEXT NOT NULL,
  run_id        TEXT NOT NULL,
  at            INTEGER NOT NULL,
  PRIMARY KEY (connection_id, serial)
) WITHOUT ROWID;
INSERT INTO latest_outcomes_0016 (connection_id, serial, action, job_id, run_id, at)
  SELECT connection_id, serial, action, job_id, run_id, at FROM latest_outcomes;
DROP TABLE latest_outcomes;
ALTER TABLE latest_outcomes_0016 RENAME TO latest_outcomes;
