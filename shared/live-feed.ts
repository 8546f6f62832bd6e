// Where the live feed (GET /api/live) is and how a client that cannot set headers signs in to it: the dashboard,
// the CLI and the worker agree on these. The feed's messages are in worker/live/protocol.ts.

// A browser cannot set headers on a WebSocket: it offers [LIVE_BEARER_PROTOCOL, "<API token>"] as subprotocols and
// the server answers with LIVE_BEARER_PROTOCOL. `?token=` is refused: it would land in access logs and history.
export const LIVE_BEARER_PROTOCOL = "bearer";
// Picks a credential's feed (its runs with every job's progress); without it, the runs feed.
export const LIVE_CREDENTIAL_PARAM = "credential";

/** The feed's WebSocket address on the API at `base` (http → ws, https → wss). */
export function liveFeedUrl(base: string, credentialId: string | null): string {
  const url = new URL("/api/live", base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (credentialId !== null) url.searchParams.set(LIVE_CREDENTIAL_PARAM, credentialId);
  return url.toString();
}
