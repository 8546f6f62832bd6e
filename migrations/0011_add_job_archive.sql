ALTER TABLE jobs ADD COLUMN archive_day TEXT;
