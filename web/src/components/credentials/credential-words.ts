import type { CredentialScheme, OAuth2ClientAuth } from "../../../../worker/engine/credential-auth";

export const SCHEME_LABELS: Record<CredentialScheme, string> = {
  none: "None (no auth)",
  bearer: "Bearer token",
  basic: "HTTP Basic",
  api_key: "API key in a header",
  oauth2_client_credentials: "OAuth2 client credentials",
};

export const SCHEME_HINTS: Record<CredentialScheme, string> = {
  none: "Requests go without an auth header.",
  bearer: "Sent as Authorization: Bearer <token>.",
  basic: "Sent as Authorization: Basic with the user name and password.",
  api_key: "Sent in the header you name, optionally after a prefix.",
  oauth2_client_credentials: "A token is fetched from the token URL and renewed before it expires.",
};

export const SECRET_LABELS: Record<CredentialScheme, string> = {
  none: "Secret",
  bearer: "Token",
  basic: "Password",
  api_key: "API key",
  oauth2_client_credentials: "Client secret",
};

export const CLIENT_AUTH_LABELS: Record<OAuth2ClientAuth, string> = {
  basic: "HTTP Basic header (RFC 6749 default)",
  body: "Form fields in the request body",
};
