import type { AlertDispatcher } from "./alerts/alert-dispatcher";
import type { LiveHub } from "./live/live-hub";
import type { RunCoordinator } from "./runs/run-coordinator";
import type { SandboxFleet } from "./sandbox/sandbox-fleet";

export interface Env {
  LEDGER: D1Database;
  RUN_COORDINATOR: DurableObjectNamespace<RunCoordinator>;
  SANDBOX_FLEET: DurableObjectNamespace<SandboxFleet>;
  /** One instance, idFromName("live"): fans run progress out to every open dashboard. */
  LIVE_HUB: DurableObjectNamespace<LiveHub>;
  /** One instance, idFromName("global"): turns the events outbox into alert deliveries, driven by alarms. */
  ALERT_DISPATCHER: DurableObjectNamespace<AlertDispatcher>;
  /** Cloudflare send_email binding for email alert channels (simulated locally by wrangler dev). */
  EMAIL?: SendEmail;
  /** Base URL of the dashboard, for job links in alerts; default http://localhost:8787. */
  PUBLIC_URL?: string;
  ASSETS: Fetcher;
  /** R2 bucket for log export (Settings → Log export → R2, binding "LOG_EXPORT"); local in development. */
  LOG_EXPORT?: R2Bucket;
  /** "on" mounts the demo fleet destination under /sandbox. */
  SANDBOX: string;
  /** "on" seeds the demo credential, connections and dataset on first request. */
  DEMO_SEED: string;
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
