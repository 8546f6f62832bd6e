import type { MiddlewareHandler } from "hono";
import { ApiError } from "../api/errors";
import type { AppEnv } from "../app-env";
import { authenticate, type AuthenticateOptions } from "../auth/middleware";
import { verifyApiToken } from "../auth/tokens";
import { LIVE_BEARER_PROTOCOL } from "./protocol";

export interface OfferedToken {
  token: string;
  via: "protocol" | "query";
}

/** The API token a browser WebSocket carries: subprotocols ["bearer", token], or `?token=`. */
export function offeredToken(request: Request): OfferedToken | null {
  const protocols = (request.headers.get("Sec-WebSocket-Protocol") ?? "").split(",").map((p) => p.trim());
  const at = protocols.indexOf(LIVE_BEARER_PROTOCOL);
  const fromProtocol = at >= 0 ? protocols[at + 1] : undefined;
  if (fromProtocol) return { token: fromProtocol, via: "protocol" };
  const fromQuery = new URL(request.url).searchParams.get("token");
  return fromQuery ? { token: fromQuery, via: "query" } : null;
}

/** Like authenticate(), plus the token forms a browser WebSocket can send. */
export function authenticateLive(options: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  const standard = authenticate(options);
  const now = options.now ?? Date.now;
  return async (c, next) => {
    const offered = offeredToken(c.req.raw);
    if (offered === null) return standard(c, next);
    const check = await verifyApiToken(c.env.LEDGER, offered.token, now());
    if (!check.ok) {
      c.header("WWW-Authenticate", 'Bearer realm="outbound-sync", error="invalid_token"');
      throw new ApiError(401, "unauthorized", check.reason);
    }
    c.set("principal", check.principal);
    await next();
  };
}
