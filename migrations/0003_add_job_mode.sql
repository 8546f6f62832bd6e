-- A run started without an explicit mode runs each connection in its own
-- dry-run setting, so the mode is per job. NULL on older rows means the
-- run's mode. The run's own mode is "live" when any of its jobs writes.
ALTER TABLE jobs ADD COLUMN mode TEXT CHECK (mode IN ('dry', 'live'));
