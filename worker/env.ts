// The bindings wrangler.toml declares are generated from it: `npm run types` writes WranglerBindings into
// worker/worker-configuration.d.ts (checked in; a test fails when it is stale). What wrangler.toml cannot
// declare, secrets and optional settings from .dev.vars or the dashboard, is listed here and only here.
export interface Env extends WranglerBindings {
  /** Base URL of the dashboard, for job links in alerts; default http://localhost:8787. */
  PUBLIC_URL?: string;
  /** Default sandbox latency per destination request, in ms (the _config knob overrides it). */
  SANDBOX_LATENCY_MS?: string;
  /** JSON object overriding the RunCoordinator's pacing (worker/runs/coordinator-config.ts); unset in production. */
  COORDINATOR_TUNING?: string;
  /** Default for the sandbox answering every Nth destination request with 429. */
  SANDBOX_THROTTLE_EVERY?: string;
  /** "development" relaxes outbound URL rules (http to loopback); anything else, or unset, is production. */
  ENVIRONMENT?: string;
  /** Worker secret: base64 of 32 random bytes, the AES-GCM key for credential and channel secrets. */
  SECRETS_KEY?: string;
  /** Cloudflare Access team domain, e.g. "myteam.cloudflareaccess.com"; with ACCESS_AUD enables Access JWTs. */
  ACCESS_TEAM_DOMAIN?: string;
  /** The Access application's audience (AUD) tag. */
  ACCESS_AUD?: string;
  /** Role of an Access identity not listed below: "viewer" (default), "operator" or "admin". */
  ACCESS_DEFAULT_ROLE?: string;
  /** Comma-separated emails that get the admin role through Access. */
  ACCESS_ADMIN_EMAILS?: string;
  /** Comma-separated emails that get the operator role through Access. */
  ACCESS_OPERATOR_EMAILS?: string;
}
