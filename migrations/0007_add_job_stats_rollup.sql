-- Hourly per-connection rollup of jobs (by the UTC hour of created_at) so stats over a window read whole
-- hours here and only the partial edge hours from jobs. Triggers keep it in step with every write,
-- including retention deletes, so no write path changes.
-- histogram: completed durations counted per log-scale bucket, key floor(ln(ms) / ln(1.04)) (-1 for
-- under 1 ms), so each bucket spans 4% and a percentile read from it is within 2% of the exact value.
CREATE TABLE job_stats_hourly (
  hour           INTEGER NOT NULL,
  connection_id  TEXT NOT NULL,
  pending        INTEGER NOT NULL DEFAULT 0,
  running        INTEGER NOT NULL DEFAULT 0,
  completed      INTEGER NOT NULL DEFAULT 0,
  failed         INTEGER NOT NULL DEFAULT 0,
  canceled       INTEGER NOT NULL DEFAULT 0,
  duration_count INTEGER NOT NULL DEFAULT 0,
  duration_sum   INTEGER NOT NULL DEFAULT 0,
  duration_min   INTEGER,
  duration_max   INTEGER,
  histogram      TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (hour, connection_id)
) WITHOUT ROWID;

INSERT INTO job_stats_hourly (hour, connection_id, pending, running, completed, failed, canceled, duration_count, duration_sum, duration_min, duration_max)
SELECT created_at / 3600000 * 3600000, connection_id,
       SUM(status = 'pending'), SUM(status = 'running'), SUM(status = 'completed'), SUM(status = 'failed'), SUM(status = 'canceled'),
       COUNT(CASE WHEN status = 'completed' THEN duration_ms END),
       IFNULL(SUM(CASE WHEN status = 'completed' THEN duration_ms END), 0),
       MIN(CASE WHEN status = 'completed' THEN duration_ms END),
       MAX(CASE WHEN status = 'completed' THEN duration_ms END)
  FROM jobs
 GROUP BY created_at / 3600000 * 3600000, connection_id;

UPDATE job_stats_hourly SET histogram = (
  SELECT IFNULL(json_group_object(bucket, n), '{}') FROM (
    SELECT (CASE WHEN duration_ms < 1 THEN -1 ELSE CAST(ln(duration_ms) / ln(1.04) AS INTEGER) END) AS bucket, COUNT(*) AS n
      FROM jobs INDEXED BY jobs_stats_by_connection
     WHERE connection_id = job_stats_hourly.connection_id AND status = 'completed'
       AND created_at >= job_stats_hourly.hour AND created_at < job_stats_hourly.hour + 3600000 AND duration_ms IS NOT NULL
     GROUP BY bucket))
 WHERE duration_count > 0;

CREATE TRIGGER jobs_stats_rollup_insert AFTER INSERT ON jobs
BEGIN
  INSERT OR IGNORE INTO job_stats_hourly (hour, connection_id) VALUES (NEW.created_at / 3600000 * 3600000, NEW.connection_id);
  UPDATE job_stats_hourly SET
    pending = pending + (NEW.status = 'pending'),
    running = running + (NEW.status = 'running'),
    completed = completed + (NEW.status = 'completed'),
    failed = failed + (NEW.status = 'failed'),
    canceled = canceled + (NEW.status = 'canceled'),
    duration_count = duration_count + (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL),
    duration_sum = duration_sum + CASE WHEN (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL) THEN NEW.duration_ms ELSE 0 END,
    duration_min = CASE WHEN (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL) THEN min(IFNULL(duration_min, NEW.duration_ms), NEW.duration_ms) ELSE duration_min END,
    duration_max = CASE WHEN (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL) THEN max(IFNULL(duration_max, NEW.duration_ms), NEW.duration_ms) ELSE duration_max END,
    histogram = CASE WHEN (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL)
      THEN json_set(histogram, '$."' || (CASE WHEN NEW.duration_ms < 1 THEN -1 ELSE CAST(ln(NEW.duration_ms) / ln(1.04) AS INTEGER) END) || '"', IFNULL(json_extract(histogram, '$."' || (CASE WHEN NEW.duration_ms < 1 THEN -1 ELSE CAST(ln(NEW.duration_ms) / ln(1.04) AS INTEGER) END) || '"'), 0) + 1)
      ELSE histogram END
   WHERE hour = NEW.created_at / 3600000 * 3600000 AND connection_id = NEW.connection_id;
END;

CREATE TRIGGER jobs_stats_rollup_update AFTER UPDATE OF status, duration_ms, created_at, connection_id ON jobs
WHEN OLD.status IS NOT NEW.status OR OLD.duration_ms IS NOT NEW.duration_ms
  OR OLD.created_at IS NOT NEW.created_at OR OLD.connection_id IS NOT NEW.connection_id
BEGIN
  UPDATE job_stats_hourly SET
    pending = pending - (OLD.status = 'pending'),
    running = running - (OLD.status = 'running'),
    completed = completed - (OLD.status = 'completed'),
    failed = failed - (OLD.status = 'failed'),
    canceled = canceled - (OLD.status = 'canceled'),
    duration_count = duration_count - (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL),
    duration_sum = duration_sum - CASE WHEN (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL) THEN OLD.duration_ms ELSE 0 END,
    duration_min = CASE WHEN (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL) AND OLD.duration_ms <= duration_min THEN (SELECT MIN(duration_ms) FROM jobs INDEXED BY jobs_stats_by_connection
        WHERE connection_id = OLD.connection_id AND status = 'completed' AND created_at >= OLD.created_at / 3600000 * 3600000
          AND created_at < OLD.created_at / 3600000 * 3600000 + 3600000 AND duration_ms IS NOT NULL) ELSE duration_min END,
    duration_max = CASE WHEN (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL) AND OLD.duration_ms >= duration_max THEN (SELECT MAX(duration_ms) FROM jobs INDEXED BY jobs_stats_by_connection
        WHERE connection_id = OLD.connection_id AND status = 'completed' AND created_at >= OLD.created_at / 3600000 * 3600000
          AND created_at < OLD.created_at / 3600000 * 3600000 + 3600000 AND duration_ms IS NOT NULL) ELSE duration_max END,
    histogram = CASE
      WHEN NOT (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL) THEN histogram
      WHEN IFNULL(json_extract(histogram, '$."' || (CASE WHEN OLD.duration_ms < 1 THEN -1 ELSE CAST(ln(OLD.duration_ms) / ln(1.04) AS INTEGER) END) || '"'), 0) <= 1 THEN json_remove(histogram, '$."' || (CASE WHEN OLD.duration_ms < 1 THEN -1 ELSE CAST(ln(OLD.duration_ms) / ln(1.04) AS INTEGER) END) || '"')
      ELSE json_set(histogram, '$."' || (CASE WHEN OLD.duration_ms < 1 THEN -1 ELSE CAST(ln(OLD.duration_ms) / ln(1.04) AS INTEGER) END) || '"', json_extract(histogram, '$."' || (CASE WHEN OLD.duration_ms < 1 THEN -1 ELSE CAST(ln(OLD.duration_ms) / ln(1.04) AS INTEGER) END) || '"') - 1) END
   WHERE hour = OLD.created_at / 3600000 * 3600000 AND connection_id = OLD.connection_id;
  DELETE FROM job_stats_hourly WHERE hour = OLD.created_at / 3600000 * 3600000 AND connection_id = OLD.connection_id AND pending + running + completed + failed + canceled = 0;
  INSERT OR IGNORE INTO job_stats_hourly (hour, connection_id) VALUES (NEW.created_at / 3600000 * 3600000, NEW.connection_id);
  UPDATE job_stats_hourly SET
    pending = pending + (NEW.status = 'pending'),
    running = running + (NEW.status = 'running'),
    completed = completed + (NEW.status = 'completed'),
    failed = failed + (NEW.status = 'failed'),
    canceled = canceled + (NEW.status = 'canceled'),
    duration_count = duration_count + (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL),
    duration_sum = duration_sum + CASE WHEN (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL) THEN NEW.duration_ms ELSE 0 END,
    duration_min = CASE WHEN (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL) THEN min(IFNULL(duration_min, NEW.duration_ms), NEW.duration_ms) ELSE duration_min END,
    duration_max = CASE WHEN (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL) THEN max(IFNULL(duration_max, NEW.duration_ms), NEW.duration_ms) ELSE duration_max END,
    histogram = CASE WHEN (NEW.status = 'completed' AND NEW.duration_ms IS NOT NULL)
      THEN json_set(histogram, '$."' || (CASE WHEN NEW.duration_ms < 1 THEN -1 ELSE CAST(ln(NEW.duration_ms) / ln(1.04) AS INTEGER) END) || '"', IFNULL(json_extract(histogram, '$."' || (CASE WHEN NEW.duration_ms < 1 THEN -1 ELSE CAST(ln(NEW.duration_ms) / ln(1.04) AS INTEGER) END) || '"'), 0) + 1)
      ELSE histogram END
   WHERE hour = NEW.created_at / 3600000 * 3600000 AND connection_id = NEW.connection_id;
END;

CREATE TRIGGER jobs_stats_rollup_delete AFTER DELETE ON jobs
BEGIN
  UPDATE job_stats_hourly SET
    pending = pending - (OLD.status = 'pending'),
    running = running - (OLD.status = 'running'),
    completed = completed - (OLD.status = 'completed'),
    failed = failed - (OLD.status = 'failed'),
    canceled = canceled - (OLD.status = 'canceled'),
    duration_count = duration_count - (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL),
    duration_sum = duration_sum - CASE WHEN (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL) THEN OLD.duration_ms ELSE 0 END,
    duration_min = CASE WHEN (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL) AND OLD.duration_ms <= duration_min THEN (SELECT MIN(duration_ms) FROM jobs INDEXED BY jobs_stats_by_connection
        WHERE connection_id = OLD.connection_id AND status = 'completed' AND created_at >= OLD.created_at / 3600000 * 3600000
          AND created_at < OLD.created_at / 3600000 * 3600000 + 3600000 AND duration_ms IS NOT NULL) ELSE duration_min END,
    duration_max = CASE WHEN (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL) AND OLD.duration_ms >= duration_max THEN (SELECT MAX(duration_ms) FROM jobs INDEXED BY jobs_stats_by_connection
        WHERE connection_id = OLD.connection_id AND status = 'completed' AND created_at >= OLD.created_at / 3600000 * 3600000
          AND created_at < OLD.created_at / 3600000 * 3600000 + 3600000 AND duration_ms IS NOT NULL) ELSE duration_max END,
    histogram = CASE
      WHEN NOT (OLD.status = 'completed' AND OLD.duration_ms IS NOT NULL) THEN histogram
      WHEN IFNULL(json_extract(histogram, '$."' || (CASE WHEN OLD.duration_ms < 1 THEN -1 ELSE CAST(ln(OLD.duration_ms) / ln(1.04) AS INTEGER) END) || '"'), 0) <= 1 THEN json_remove(histogram, '$."' || (CASE WHEN OLD.duration_ms < 1 THEN -1 ELSE CAST(ln(OLD.duration_ms) / ln(1.04) AS INTEGER) END) || '"')
      ELSE json_set(histogram, '$."' || (CASE WHEN OLD.duration_ms < 1 THEN -1 ELSE CAST(ln(OLD.duration_ms) / ln(1.04) AS INTEGER) END) || '"', json_extract(histogram, '$."' || (CASE WHEN OLD.duration_ms < 1 THEN -1 ELSE CAST(ln(OLD.duration_ms) / ln(1.04) AS INTEGER) END) || '"') - 1) END
   WHERE hour = OLD.created_at / 3600000 * 3600000 AND connection_id = OLD.connection_id;
  DELETE FROM job_stats_hourly WHERE hour = OLD.created_at / 3600000 * 3600000 AND connection_id = OLD.connection_id AND pending + running + completed + failed + canceled = 0;
END;
