import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../api/router";
import { errorBodySchema, errorResponses, jsonContent } from "../api/schemas/common";
import { minRole } from "../auth/middleware";
import { authenticateLive, offeredToken } from "./live-auth";
import { LIVE_VIEWER_HEADER, type LiveViewer } from "./live-hub";
import { LIVE_BEARER_PROTOCOL } from "./protocol";
import { liveHub } from "./publish";

// Mounted at /api/live before the API's authenticate(): a browser WebSocket cannot send an Authorization
// header, so this route authenticates itself (authenticateLive also accepts the token forms it can send).
export const liveRouter = createRouter();

const viewerRole = minRole("viewer");

const liveRoute = createRoute({
  ...viewerRole,
  middleware: [authenticateLive(), ...viewerRole.middleware],
  method: "get",
  path: "/",
  tags: ["Live"],
  summary: "Live progress (WebSocket)",
  description:
    "Upgrade to a WebSocket. The server first sends `snapshot` (every pending and running run with its jobs), then " +
    "`run` and `job` messages as they change; send `ping` to keep the connection alive and `resync` for a fresh " +
    "snapshot. Messages are defined in worker/live/protocol.ts. Browsers authenticate by offering the subprotocols " +
    "`bearer` and the API token (`new WebSocket(url, [\"bearer\", token])`; the server answers `bearer`), or with " +
    "`?token=` (which ends up in access logs); Authorization headers and Cloudflare Access work as on every route.",
  request: {
    query: z.object({ token: z.string().optional().openapi({ description: "An API token, for clients that cannot send headers." }) }),
  },
  responses: {
    101: { description: "Switching Protocols: the live feed follows." },
    426: jsonContent(errorBodySchema, "Not a WebSocket upgrade request."),
    ...errorResponses(),
  },
});

liveRouter.openapi(liveRoute, async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    c.header("Upgrade", "websocket");
    return c.json({ error: { code: "upgrade_required", message: "GET /api/live is a WebSocket: send Upgrade: websocket." } }, 426);
  }
  const principal = c.var.principal;
  const viewer: Omit<LiveViewer, "connected_at"> = {
    name: principal.name,
    role: principal.role,
    token_id: principal.kind === "token" ? principal.id : null,
  };
  // A fresh request: only the upgrade and who is watching reach the hub, not the caller's token.
  const upstream = await liveHub(c.env).fetch("https://live-hub/connect", {
    headers: { Upgrade: "websocket", [LIVE_VIEWER_HEADER]: JSON.stringify(viewer) },
  });
  if (upstream.status !== 101 || !upstream.webSocket) return upstream;
  const headers = new Headers();
  if (offeredToken(c.req.raw)?.via === "protocol") headers.set("Sec-WebSocket-Protocol", LIVE_BEARER_PROTOCOL);
  return new Response(null, { status: 101, webSocket: upstream.webSocket, headers });
});
