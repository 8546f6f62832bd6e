-- Retention and log export of the R2 archive (objects under jobs/<YYYY-MM-DD>/<job_id>/): what each pass
-- deleted there, and what each day's export copied from it. Counts, not keys: a day of a large fleet
-- holds thousands of archive objects, which the export's manifest and the bucket listing name.
ALTER TABLE retention_passes ADD COLUMN archive_deleted_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE log_exports ADD COLUMN archive_objects INTEGER;
ALTER TABLE log_exports ADD COLUMN archive_bytes INTEGER;
