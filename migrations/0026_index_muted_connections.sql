-- Alert fan-out reads the connections muted now once per consumer batch: only muted rows are in this index, so
-- the read never walks the fleet.
CREATE INDEX connections_alerts_muted ON connections (alerts_muted_until) WHERE alerts_muted_until IS NOT NULL;
