-- A deleted connection used to stay in the scopes of alert rules and webhook channels by id, so editing such a rule
-- sent back an id the API refuses. Deleting a connection now removes it from every scope
-- (worker/ledger/connections.ts); this removes the ids left by connections deleted before.
UPDATE alert_rules
   SET connection_ids_json = (SELECT json_group_array(value) FROM json_each(connection_ids_json) WHERE value IN (SELECT id FROM connections))
 WHERE connection_ids_json IS NOT NULL
   AND EXISTS (SELECT 1 FROM json_each(connection_ids_json) WHERE value NOT IN (SELECT id FROM connections));

UPDATE alert_channels
   SET config_json = json_set(config_json, '$.connection_ids',
         json((SELECT json_group_array(value) FROM json_each(config_json, '$.connection_ids') WHERE value IN (SELECT id FROM connections))))
 WHERE kind = 'webhook'
   AND EXISTS (SELECT 1 FROM json_each(config_json, '$.connection_ids') WHERE value NOT IN (SELECT id FROM connections));
