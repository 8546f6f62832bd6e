-- A connection's serials by their latest outcome (GET /api/connections/{id}/serials?action=failed): "which
-- serials are failing here now" reads only those rows instead of walking the connection's whole fleet in serial
-- order. The table changes only when a serial's action changes, so the index costs writes only then; it adds
-- about 40 bytes per serial once, bounded by the fleet like the table.
CREATE INDEX latest_outcomes_by_action ON latest_outcomes (connection_id, action, serial);
