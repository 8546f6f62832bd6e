-- API tokens may be given an expiry (ms since the epoch); NULL never expires. An expired token is refused like a
-- revoked one, and does not count as an active admin.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
