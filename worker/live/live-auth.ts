import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate, crossSiteError, type AuthenticateOptions } from "../auth/middleware";
import { InvalidError, UnauthorizedError } from "../domain-errors";
import { crossOrigin } from "../auth/same-origin";
import { verifyApiToken } from "../auth/tokens";
import { LIVE_BEARER_PROTOCOL } from "../../shared/live-feed";

/** The API token a browser WebSocket offers as the subprotocols ["bearer", token]. */
export function offeredToken(request: Request): string | null {
  const protocols = (request.headers.get("Sec-WebSocket-Protocol") ?? "").split(",").map((p) => p.trim());
  const at = protocols.indexOf(LIVE_BEARER_PROTOCOL);
  return (at >= 0 ? protocols[at + 1] : undefined) || null;
}

/**
 * Like authenticate(), plus the token subprotocol a browser WebSocket can send. A browser attaches cookies (Access)
 * to a WebSocket from any page, so a browser's Origin must be ours; no Origin means a client that is not a browser.
 */
export function authenticateLive(options: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  const standard = authenticate(options);
  const now = options.now ?? Date.now;
  return async (c, next) => {
    const found = crossOrigin(c.req.raw);
    if (found !== null) throw crossSiteError(c.req.raw, found, "The live feed accepts sockets only from this dashboard.");
    // A token in the address ends up in access logs and browser history: refused, whether or not it is valid.
    if (new URL(c.req.url).searchParams.has("token")) {
      throw new InvalidError(
        "token_in_query",
        `The live feed no longer takes ?token=. Offer the subprotocols ["${LIVE_BEARER_PROTOCOL}", "<API token>"] (new WebSocket(url, ["${LIVE_BEARER_PROTOCOL}", token])) or send an Authorization header.`,
        { details: [{ path: "token", in: "query", message: "Not accepted in the query string." }] },
      );
    }
    const offered = offeredToken(c.req.raw);
    if (offered === null) return standard(c, next);
    const check = await verifyApiToken(c.env.LEDGER, offered, now());
    if (!check.ok) {
      c.header("WWW-Authenticate", 'Bearer realm="outbound-sync", error="invalid_token"');
      throw new UnauthorizedError("unauthorized", check.reason, { hint: check.hint });
    }
    c.set("principal", check.principal);
    await next();
  };
}
