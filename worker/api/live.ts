import { createRoute, z } from "@hono/zod-openapi";
import { errorBody } from "./errors";
import { createRouter } from "./router";
import { errorBodySchema, errorResponses, jsonContent } from "../schemas/common";
import { type AuthenticateOptions, minRole } from "../auth/middleware";
import { authenticateLive, offeredToken } from "../live/live-auth";
import { LIVE_VIEWER_HEADER, type LiveViewer } from "../live/live-hub";
import { LIVE_BEARER_PROTOCOL } from "../../shared/live-feed";
import { LIVE_CREDENTIAL_PATTERN } from "../live/protocol";
import { liveHub } from "../live/publish";

const viewerRole = minRole("viewer");

const liveRouteDefinition = (options: AuthenticateOptions) =>
  createRoute({
    ...viewerRole,
    middleware: [authenticateLive(options), ...viewerRole.middleware],
    method: "get",
    operationId: "openLiveFeed",
    path: "/",
    request: {
      query: z.object({
        credential: z.string().regex(LIVE_CREDENTIAL_PATTERN).optional().openapi({
          description: "Follow this credential's feed (its runs with every job's progress) instead of the runs feed.",
        }),
      }),
    },
    tags: ["Live"],
    summary: "Live progress (WebSocket)",
    description:
      "Upgrade to a WebSocket. Without `credential` the socket follows the runs feed: `snapshot` (every pending and running " +
      "run, without jobs), then a `run` message for each new run and status change. With `credential=<id>` it follows " +
      "that credential's feed: `snapshot` (its pending and running runs with their jobs), then `run` and `job` messages " +
      "as they change, progress included. Send `ping` to keep the connection alive and `resync` for a fresh " +
      "snapshot. Messages are defined in worker/live/protocol.ts. Browsers authenticate by offering the subprotocols " +
      '`bearer` and the API token (`new WebSocket(url, ["bearer", token])`; the server answers `bearer`); ' +
      "Authorization headers and Cloudflare Access work as on every route. `?token=` is refused (400 `token_in_query`), " +
      "and so is a browser whose `Origin` is another site (403 `cross_site_request`). The socket is closed with code " +
      "1008 when its API token is revoked or expires, or when the Access JWT it was opened with expires.",
    responses: {
      101: { description: "Switching Protocols: the live feed follows." },
      426: jsonContent(errorBodySchema, "Not a WebSocket upgrade request."),
      ...errorResponses(400),
    },
  });

/** `options` reach authenticate(): tests pass the fetch that serves their Access keys. */
export function createLiveRouter(options: AuthenticateOptions = {}) {
  const router = createRouter();
  router.openapi(liveRouteDefinition(options), async (c) => {
    if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
      c.header("Upgrade", "websocket");
      return c.json(errorBody("upgrade_required", "GET /api/live is a WebSocket: send Upgrade: websocket."), 426);
    }
    const principal = c.var.principal;
    const credentialId = c.req.valid("query").credential ?? null;
    const viewer: Omit<LiveViewer, "connected_at"> = {
      name: principal.name,
      role: principal.role,
      token_id: principal.kind === "token" ? principal.id : null,
      expires_at: principal.expiresAt,
      credential_id: credentialId,
    };
    // A fresh request: only the upgrade and who is watching reach the hub, not the caller's token.
    const upstream = await liveHub(c.env, credentialId).fetch("https://live-hub/connect", {
      headers: { Upgrade: "websocket", [LIVE_VIEWER_HEADER]: JSON.stringify(viewer) },
    });
    if (upstream.status !== 101 || !upstream.webSocket) return upstream;
    const headers = new Headers();
    if (offeredToken(c.req.raw) !== null) headers.set("Sec-WebSocket-Protocol", LIVE_BEARER_PROTOCOL);
    return new Response(null, { status: 101, webSocket: upstream.webSocket, headers });
  });
  return router;
}

// Mounted at /api/live before the API's authenticate(): a browser WebSocket cannot send an Authorization
// header, so this route authenticates itself (authenticateLive also accepts the token subprotocol).
export const liveRouter = createLiveRouter();
