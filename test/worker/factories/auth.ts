import { env } from "cloudflare:test";
import { Hono } from "hono";
import { handleError } from "../../../worker/api/errors";
import type { AppEnv } from "../../../worker/app-env";
import { type AuthenticateOptions, authenticate, requireRole } from "../../../worker/auth/middleware";
import type { Role } from "../../../worker/auth/principal";
import { issueApiToken } from "../../../worker/auth/tokens";
import { listApiTokens, revokeApiToken } from "../../../worker/ledger/api-tokens";
import type { Env } from "../../../worker/env";

let tokenCounter = 0;

export async function makeToken(role: Role, name = `${role}-${++tokenCounter}`) {
  return issueApiToken(env.LEDGER, { name, role, createdBy: "test", now: Date.now() });
}

const fileTokens = new Map<Role, Promise<string>>();

/** One token per role for the whole test file, made on first use. */
export function tokenFor(role: Role): Promise<string> {
  let token = fileTokens.get(role);
  if (token === undefined) {
    token = makeToken(role, `${role}-tests-${++tokenCounter}`).then((t) => t.token);
    fileTokens.set(role, token);
  }
  return token;
}

/** Test files share one module registry but each starts from an empty ledger (test/worker/start-each-file-afresh.ts). */
export function forgetFileTokens(): void {
  fileTokens.clear();
}

/** Revokes every active admin token but `keep`, through the ledger, so `keep` is the last admin. */
export async function revokeOtherAdmins(keep: string): Promise<void> {
  for (const token of await listApiTokens(env.LEDGER)) {
    if (token.role !== "admin" || token.id === keep || token.revoked_at !== null) continue;
    const outcome = await revokeApiToken(env.LEDGER, token.id, Date.now());
    if (outcome.status !== "revoked") throw new Error(`revokeOtherAdmins: ${outcome.status}`);
  }
}

export function makeSecretsKey(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
}

/** A tiny app like the real /api: authenticate everything, one route per minimum role. */
export function makeGuardedApp(options: AuthenticateOptions = {}) {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.use("/api/*", authenticate(options));
  app.get("/api/read", requireRole("viewer"), (c) => c.json(c.var.principal));
  app.post("/api/run", requireRole("operator"), (c) => c.json(c.var.principal));
  app.put("/api/configure", requireRole("admin"), (c) => c.json(c.var.principal));
  return app;
}

export const GUARDED_ROUTES: Array<{ method: string; path: string; role: Role }> = [
  { method: "GET", path: "/api/read", role: "viewer" },
  { method: "POST", path: "/api/run", role: "operator" },
  { method: "PUT", path: "/api/configure", role: "admin" },
];

export function envWith(overrides: Partial<Env>): Env {
  return { ...env, ...overrides };
}

export interface AccessTeam {
  teamDomain: string;
  audience: string;
  /** Serves the team's JWKS the way https://<team>/cdn-cgi/access/certs does, counting requests. */
  fetch: typeof fetch;
  certsRequests: () => number;
  sign: (claims?: Record<string, unknown>, options?: SignOptions) => Promise<string>;
  /** Adds a new signing key to the served JWKS, as Access does when it rotates keys. */
  rotate: () => Promise<string>;
  failCerts: (failing: boolean) => void;
}

interface SignOptions {
  kid?: string;
  alg?: string;
  /** Sign with a key the team never published. */
  foreignKey?: boolean;
}

let teamCounter = 0;

export async function makeAccessTeam(): Promise<AccessTeam> {
  const teamDomain = `team-${++teamCounter}.cloudflareaccess.com`;
  const audience = `aud-${crypto.randomUUID()}`;
  const keys = new Map<string, CryptoKeyPair>();
  const published: Array<Record<string, unknown>> = [];
  let currentKid = "";
  let requests = 0;
  let failing = false;

  async function addKey(): Promise<string> {
    const kid = `kid-${keys.size + 1}`;
    const pair = await generateRsaKey();
    keys.set(kid, pair);
    const jwk = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
    published.push({ ...jwk, kid, alg: "RS256", use: "sig" });
    currentKid = kid;
    return kid;
  }
  await addKey();
  const foreign = await generateRsaKey();

  const certsFetch: typeof fetch = async (input) => {
    const url = input instanceof Request ? input.url : input.toString();
    if (url !== `https://${teamDomain}/cdn-cgi/access/certs`) return new Response("not found", { status: 404 });
    requests++;
    if (failing) return new Response("unavailable", { status: 503 });
    return Response.json({ keys: published });
  };

  async function sign(claims: Record<string, unknown> = {}, options: SignOptions = {}): Promise<string> {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const kid = options.kid ?? currentKid;
    const payload = {
      iss: `https://${teamDomain}`,
      aud: [audience],
      sub: "user-1",
      email: "ada@example.com",
      iat: nowSeconds,
      nbf: nowSeconds,
      exp: nowSeconds + 600,
      ...claims,
    };
    const head = base64Url(JSON.stringify({ alg: options.alg ?? "RS256", kid, typ: "JWT" }));
    const body = base64Url(JSON.stringify(payload));
    const key = options.foreignKey ? foreign.privateKey : (keys.get(kid) ?? foreign).privateKey;
    const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(`${head}.${body}`));
    return `${head}.${body}.${base64Url(new Uint8Array(signature))}`;
  }

  return {
    teamDomain,
    audience,
    fetch: certsFetch,
    certsRequests: () => requests,
    sign,
    rotate: addKey,
    failCerts: (value) => {
      failing = value;
    },
  };
}

async function generateRsaKey(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
}

export function base64Url(input: string | Uint8Array): string {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
