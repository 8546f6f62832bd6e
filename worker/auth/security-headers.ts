import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

// The dashboard is one origin: scripts, styles, fetches and the live WebSocket ('self' covers ws:/wss: of the
// same host in CSP3) all come from it, and no other site may frame it.
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

// web/public/_headers repeats this for the static assets, which are served without the worker (a test keeps them equal).
export const CONTENT_SECURITY_POLICY = Object.entries(CSP_DIRECTIVES)
  .map(([name, values]) => `${name.replace(/[A-Z]/g, (ch) => `-${ch.toLowerCase()}`)} ${values.join(" ")}`)
  .join("; ");

const secure = secureHeaders({
  contentSecurityPolicy: CSP_DIRECTIVES,
  referrerPolicy: "no-referrer",
  xFrameOptions: "DENY",
  strictTransportSecurity: "max-age=15552000",
  // A route with a policy of its own (the /api/docs page) keeps it.
  overwrite: false,
});

// API and MCP answers carry a ledger's data, tokens made once and signing secrets shown once: no browser or proxy
// cache may keep them (a shared machine's back button, a corporate proxy). A route that sets its own policy keeps it.
const UNCACHED_PREFIXES = ["/api/", "/mcp"];

/** CSP, nosniff, no referrer and frame blocking on every response the worker makes, errors included. */
export function securityHeaders(): MiddlewareHandler {
  return (c, next) =>
    secure(c, async () => {
      await next();
      // Responses passed through from fetch() or a Durable Object have immutable headers: copy before adding.
      // An upgrade (101) is always built here and carries no document.
      if (c.res.status === 101) return;
      c.res = new Response(c.res.body, c.res);
      if (UNCACHED_PREFIXES.some((prefix) => c.req.path.startsWith(prefix)) && !c.res.headers.has("Cache-Control")) {
        c.res.headers.set("Cache-Control", "no-store");
      }
    });
}
