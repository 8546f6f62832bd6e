-- Issue 17, ETA: when a running job, and its run, are expected to finish (ms), as the coordinator estimated at
-- its last flush from the job's recent rate (worker/runs/eta.ts). NULL while there is not enough data; read
-- only while the job or run is running, so a finished row's last value needs no clearing.
ALTER TABLE jobs ADD COLUMN eta_finish_at INTEGER;
ALTER TABLE runs ADD COLUMN eta_finish_at INTEGER;
