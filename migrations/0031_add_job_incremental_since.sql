-- A full job that read only the records changed since its connection's cursor showed "0 of 0 in scope" with no
-- word of why when nothing had changed. The moment it read from (epoch ms) is kept on the job, null for a
-- complete or single job, so the job can say "changed since …" and a job with nothing changed is told apart
-- from one whose source was empty.
ALTER TABLE jobs ADD COLUMN incremental_since INTEGER;
