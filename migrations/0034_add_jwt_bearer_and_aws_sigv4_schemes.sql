-- Two more credential schemes. oauth2_jwt_bearer: a private key signs a JWT assertion that a token endpoint trades
-- for an access token (RFC 7523; Google service accounts, Salesforce's JWT bearer flow); its secret is the key.
-- aws_sigv4: every request is signed with an IAM user's secret access key (API Gateway, Lambda function URLs).
--
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt with the scheme in its CHECK and every row
-- copied as it is. Connections refer to credentials by id with ON DELETE RESTRICT: foreign keys are deferred to
-- the end of this migration's transaction, so dropping the old table does not trip them, and the renamed table
-- holds every id they refer to again before it commits.
PRAGMA defer_foreign_keys = on;

CREATE TABLE credentials_0034 (
  id                TEXT PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  scheme            TEXT NOT NULL CHECK (scheme IN ('none', 'bearer', 'basic', 'api_key', 'oauth2_client_credentials', 'oauth2_jwt_bearer',
                                                 'aws_sigv4')),
  -- Non-secret settings of the scheme: basic username, api_key header name, oauth2 token URL, client id, scope,
  -- a JWT bearer's issuer, subject, audience, key id and algorithm, an AWS access key id, region and service.
  config_json       TEXT NOT NULL DEFAULT '{}',
  secret_ciphertext TEXT,
  secret_hint       TEXT,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
INSERT INTO credentials_0034 (id, name, scheme, config_json, secret_ciphertext, secret_hint, created_at, updated_at)
  SELECT id, name, scheme, config_json, secret_ciphertext, secret_hint, created_at, updated_at FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_0034 RENAME TO credentials;

PRAGMA defer_foreign_keys = off;
