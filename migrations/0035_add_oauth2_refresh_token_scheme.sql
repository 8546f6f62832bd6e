-- OAuth2 refresh-token credentials (the authorization-code grant's lasting result: HubSpot, Salesforce's web-server
-- flow, Xero, QuickBooks). Besides the client secret in secret_ciphertext, such a credential holds a refresh token,
-- which the provider may replace at every use (rotation): the Worker writes the new one back here, sealed for its
-- own field, before it uses the access token that came with it.
--
-- refresh_ciphertext   the refresh token, sealed (never the client secret's binding, so the two cannot be swapped)
-- refresh_hint         its last characters, as secret_hint shows a secret's
-- refresh_set_at       when a person (or the Connect flow) last gave one
-- refresh_rotated_at   when the provider last replaced it
-- refresh_error        the provider's last refusal of it (invalid_grant), cleared by a success or a new token
-- refresh_error_at     when that refusal came
--
-- The scheme CHECK is rebuilt as in 0034, foreign keys deferred to the end of the transaction.
PRAGMA defer_foreign_keys = on;

CREATE TABLE credentials_0035 (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL UNIQUE,
  scheme             TEXT NOT NULL CHECK (scheme IN ('none', 'bearer', 'basic', 'api_key', 'oauth2_client_credentials', 'oauth2_jwt_bearer',
                                                  'oauth2_refresh_token', 'aws_sigv4')),
  -- Non-secret settings of the scheme: basic username, api_key header name, oauth2 token URL, client id, scope,
  -- a JWT bearer's issuer, subject, audience, key id and algorithm, an AWS access key id, region and service.
  config_json        TEXT NOT NULL DEFAULT '{}',
  secret_ciphertext  TEXT,
  secret_hint        TEXT,
  refresh_ciphertext TEXT,
  refresh_hint       TEXT,
  refresh_set_at     INTEGER,
  refresh_rotated_at INTEGER,
  refresh_error      TEXT,
  refresh_error_at   INTEGER,
  created_at         INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL
);
INSERT INTO credentials_0035 (id, name, scheme, config_json, secret_ciphertext, secret_hint, created_at, updated_at)
  SELECT id, name, scheme, config_json, secret_ciphertext, secret_hint, created_at, updated_at FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_0035 RENAME TO credentials;

PRAGMA defer_foreign_keys = off;

-- Connect (the authorization-code grant with PKCE): one row per authorization a person started, until the provider
-- sends them back to /api/oauth/callback or ten minutes pass. The state travels through the browser and is stored
-- only as its SHA-256; the PKCE verifier never leaves the Worker and is sealed like a secret.
CREATE TABLE oauth_connect_states (
  state_hash    TEXT PRIMARY KEY,
  credential_id TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
  code_verifier TEXT NOT NULL,
  redirect_uri  TEXT NOT NULL,
  started_by    TEXT NOT NULL,
  expires_at    INTEGER NOT NULL
);
CREATE INDEX oauth_connect_states_by_expiry ON oauth_connect_states (expires_at);
