import type { CredentialScheme, OAuth2ClientAuth, RefreshClientAuth } from "../../../../worker/engine/credential-auth";
import type { JwtAlgorithm } from "../../../../worker/engine/jwt-assertion";

export const SCHEME_LABELS: Record<CredentialScheme, string> = {
  none: "None (no auth)",
  bearer: "Bearer token",
  basic: "HTTP Basic",
  api_key: "API key in a header",
  oauth2_client_credentials: "OAuth2 client credentials",
  oauth2_jwt_bearer: "OAuth2 service account (JWT bearer)",
  oauth2_refresh_token: "OAuth2 refresh token (authorized app)",
  aws_sigv4: "AWS Signature V4 (IAM)",
};

export const SCHEME_HINTS: Record<CredentialScheme, string> = {
  none: "Requests go without an auth header.",
  bearer: "Sent as Authorization: Bearer <token>.",
  basic: "Sent as Authorization: Basic with the user name and password.",
  api_key: "Sent in the header you name, optionally after a prefix.",
  oauth2_client_credentials: "A token is fetched from the token URL and renewed before it expires.",
  oauth2_jwt_bearer:
    "A short-lived JWT signed with the private key is traded for a token at the token URL (Google service accounts, Salesforce's JWT bearer flow); renewed before it expires.",
  oauth2_refresh_token:
    "An app a person authorized once at the provider (HubSpot, Salesforce, Xero, QuickBooks, Google). The refresh token is traded for access tokens at the token URL; when the provider rotates it, the new one is saved.",
  aws_sigv4:
    "Every request is signed with the IAM user's secret access key (API Gateway with IAM auth, Lambda function URLs, OpenSearch); the key itself is never sent. With a role ARN, the user assumes that role (cross-account access) and requests are signed with its temporary keys instead.",
};

export const SECRET_LABELS: Record<CredentialScheme, string> = {
  none: "Secret",
  bearer: "Token",
  basic: "Password",
  api_key: "API key",
  oauth2_client_credentials: "Client secret",
  oauth2_jwt_bearer: "Private key",
  oauth2_refresh_token: "Client secret",
  aws_sigv4: "Secret access key",
};

// What the secret is: a client that signs its assertions holds a private key instead of a client secret.
export function secretLabelOf(scheme: CredentialScheme, clientAuth: OAuth2ClientAuth | undefined): string {
  return scheme === "oauth2_client_credentials" && clientAuth === "private_key_jwt" ? "Private key" : SECRET_LABELS[scheme];
}

export const ALGORITHM_LABELS: Record<JwtAlgorithm, string> = {
  RS256: "RS256 (RSA key)",
  ES256: "ES256 (EC key, P-256)",
};

export const CLIENT_AUTH_LABELS: Record<OAuth2ClientAuth, string> = {
  basic: "HTTP Basic header (RFC 6749 default)",
  body: "Form fields in the request body",
  private_key_jwt: "Signed JWT (private_key_jwt)",
};

export const REFRESH_CLIENT_AUTH_LABELS: Record<RefreshClientAuth, string> = {
  basic: "HTTP Basic header (Xero, QuickBooks)",
  body: "In the form body (HubSpot, Salesforce)",
};
