import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ForbiddenError, UnauthorizedError, UnavailableError } from "../domain-errors";
import { ACCESS_JWT_HEADER, AccessJwtError, type AccessVerifier, accessConfigured, accessRole, createAccessVerifier, normaliseTeamDomain } from "./access-jwt";
import { type Principal, type Role, roleAtLeast } from "./principal";
import { crossOrigin, SAFE_METHODS, type CrossOrigin } from "./same-origin";
import { verifyApiToken } from "./tokens";

export const ROUTE_ROLE_EXTENSION = "x-min-role" as const;

/** Names for `components.securitySchemes`; register them on the OpenAPI document. */
export const API_SECURITY_SCHEMES = {
  bearerAuth: { type: "http", scheme: "bearer", description: "An API token: osk_<role letter>_<32 characters>." },
  cloudflareAccess: { type: "apiKey", in: "header", name: ACCESS_JWT_HEADER, description: "Set by Cloudflare Access when configured." },
} as const;

export interface AuthenticateOptions {
  /** Fetch used for the Access JWKS; tests pass one that serves their own keys. */
  fetch?: typeof fetch;
  now?: () => number;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Sets `principal` from a bearer API token or, when configured, a Cloudflare Access JWT; else 401. */
export function authenticate(options: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  const now = options.now ?? Date.now;
  // One verifier (and so one JWKS cache) per Access configuration, kept for the isolate's life.
  const verifiers = new Map<string, AccessVerifier>();

  function verifierFor(teamDomain: string, audience: string): AccessVerifier {
    const key = `${normaliseTeamDomain(teamDomain)} ${audience.trim()}`;
    let verifier = verifiers.get(key);
    if (!verifier) {
      verifier = createAccessVerifier({ teamDomain, audience, now, ...(options.fetch ? { fetch: options.fetch } : {}) });
      verifiers.set(key, verifier);
    }
    return verifier;
  }

  return async (c, next) => {
    const problems: string[] = [];
    let hint: string | undefined;
    const authorization = c.req.header("Authorization");
    if (authorization !== undefined) {
      const token = BEARER.exec(authorization)?.[1];
      if (token === undefined) {
        problems.push('The Authorization header must be "Bearer <API token>".');
      } else {
        const check = await verifyApiToken(c.env.LEDGER, token, now());
        if (check.ok) return proceed(c, next, check.principal);
        problems.push(check.reason);
        hint = check.hint;
      }
    }

    const assertion = c.req.header(ACCESS_JWT_HEADER);
    const { ACCESS_TEAM_DOMAIN: teamDomain, ACCESS_AUD: audience } = c.env;
    if (assertion !== undefined && teamDomain && audience && accessConfigured(c.env)) {
      try {
        const identity = await verifierFor(teamDomain, audience)(assertion);
        const principal: Principal = {
          kind: "access",
          id: identity.subject || identity.displayName,
          name: identity.displayName,
          role: accessRole(c.env, identity.email),
          expiresAt: identity.expiresAt,
        };
        refuseCrossSiteChange(c.req.raw);
        return proceed(c, next, principal);
      } catch (err) {
        if (!(err instanceof AccessJwtError)) throw err;
        if (err.kind === "unavailable" && problems.length === 0) {
          throw new UnavailableError("access_unavailable", err.message, { hint: "Retry shortly, or use an API token." });
        }
        problems.push(err.message);
      }
    }

    if (problems.length === 0) {
      problems.push(
        accessConfigured(c.env)
          ? 'Sign in through Cloudflare Access, or send "Authorization: Bearer <API token>".'
          : 'Send "Authorization: Bearer <API token>". An admin creates tokens under Settings → API tokens.',
      );
    }
    c.header("WWW-Authenticate", authorization === undefined ? 'Bearer realm="outbound-sync"' : 'Bearer realm="outbound-sync", error="invalid_token"');
    throw new UnauthorizedError("unauthorized", problems.join(" "), hint === undefined ? {} : { hint });
  };
}

// The browser attaches the Access cookie to any request, whichever site started it: a change must come from our own
// pages. Bearer tokens need no such check (a browser never adds them by itself).
function refuseCrossSiteChange(request: Request): void {
  if (SAFE_METHODS.has(request.method)) return;
  const found = crossOrigin(request);
  if (found !== null) throw crossSiteError(request, found, "Changes signed in through Cloudflare Access must come from this dashboard.");
}

/** `cross_site_request` (403), naming the header that showed the request came from another site. */
export function crossSiteError(request: Request, found: CrossOrigin, rule: string): ForbiddenError {
  return new ForbiddenError("cross_site_request", `${found.reason} ${rule}`, {
    details: [{ path: found.header, message: found.reason, in: "header" }],
    meta: { origin: request.headers.get("Origin"), sec_fetch_site: request.headers.get("Sec-Fetch-Site") },
  });
}

async function proceed(c: Context<AppEnv>, next: () => Promise<void>, principal: Principal): Promise<void> {
  c.set("principal", principal);
  await next();
}

/** 403 unless the authenticated principal has at least `role`. */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Typed as always set, but a router mounted without `authenticate()` must fail closed.
    const principal = c.get("principal") as Principal | undefined;
    if (!principal) {
      c.header("WWW-Authenticate", 'Bearer realm="outbound-sync"');
      throw new UnauthorizedError("unauthorized", "This route needs a signed-in caller; authentication did not run.");
    }
    if (!roleAtLeast(principal.role, role)) {
      const who = principal.kind === "token" ? `API token "${principal.name}"` : `Access identity ${principal.name}`;
      throw new ForbiddenError("forbidden", `This needs the ${role} role; the ${who} has the ${principal.role} role.`, {
        meta: { required_role: role, role: principal.role },
      });
    }
    await next();
  };
}

export interface MinRoleRouteParts<R extends Role> {
  middleware: [MiddlewareHandler<AppEnv>];
  [ROUTE_ROLE_EXTENSION]: R;
  security: Array<Record<string, string[]>>;
}

/**
 * Spread into `createRoute({ ... })`: the route's role check and its OpenAPI marking come from one call,
 * so the document and the enforcement cannot disagree.
 */
export function minRole<R extends Role>(role: R): MinRoleRouteParts<R> {
  return {
    middleware: [requireRole(role)],
    [ROUTE_ROLE_EXTENSION]: role,
    security: [{ bearerAuth: [] }, { cloudflareAccess: [] }],
  };
}
