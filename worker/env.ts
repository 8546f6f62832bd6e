import type { RunCoordinator } from "./runs/run-coordinator";
import type { SandboxFleet } from "./sandbox/sandbox-fleet";

export interface Env {
  LEDGER: D1Database;
  RUN_COORDINATOR: DurableObjectNamespace<RunCoordinator>;
  SANDBOX_FLEET: DurableObjectNamespace<SandboxFleet>;
  ASSETS: Fetcher;
  /** "on" mounts the demo fleet destination under /sandbox. */
  SANDBOX: string;
  /** "on" seeds the demo credential, connections and dataset on first request. */
  DEMO_SEED: string;
  /** Default sandbox latency per destination request, in ms (the _config knob overrides it). */
  SANDBOX_LATENCY_MS?: string;
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
