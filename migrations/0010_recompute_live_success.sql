-- A connection's last success now means its last completed LIVE job (a dry run writes nothing).
-- Until now dry runs set it too, so it is recomputed once from the jobs; older jobs without a
-- mode of their own ran in their run's mode.
UPDATE connections SET last_success_at = (
  SELECT MAX(j.finished_at)
    FROM jobs j JOIN runs r ON r.id = j.run_id
   WHERE j.connection_id = connections.id
     AND j.status = 'completed'
     AND COALESCE(j.mode, r.mode) = 'live'
);
