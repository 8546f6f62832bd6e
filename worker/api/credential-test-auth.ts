import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { roleAtLeast } from "../auth/principal";
import { contractUrls, outboundUrlPolicy } from "../auth/url-safety";
import { freshCredentialHeaders, OAUTH2_SCHEMES, type CredentialAuth } from "../engine/credential-auth";
import type { ConnectionConfig } from "../engine/contracts";
import { EngineError } from "../engine/errors";
import { createSystemRuntime } from "../engine/runtime";
import { runTestAuth, type TestAuthReport } from "../engine/test-auth";
import { credentialConnectionConfigs, getStoredCredential } from "../ledger/credentials";
import { outboundFetch } from "../outbound";
import { loadCredentialAuth } from "../runs/credential-loader";
import { notFoundError, validationError } from "./errors";
import { outboundUrlIssues } from "./outbound-url-checks";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent } from "../schemas/common";
import { testAuthBodySchema, testAuthResultSchema } from "../schemas/credentials";

export const credentialTestAuth = createRouter();

// A person is waiting on the answer.
const TEST_AUTH_TIMEOUT_MS = 15_000;

const testAuthRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "testCredentialAuth",
  path: "/{id}/test-auth",
  tags: ["Credentials"],
  summary: "Send one GET with the credential's auth",
  description:
    "Sends one GET to `url` with the credential's auth and reports the status, the duration and the start of the body, secrets masked. " +
    "An OAuth2 credential fetches a token first and reports its expiry, never the token; without `url` only the token is fetched. " +
    "A refresh-token credential always refreshes (a rotated refresh token is saved), so the refresh token itself is what is tested. " +
    "Redirects are not followed. Admins may name any URL the deployment's outbound rules allow; operators only a host that one of " +
    "the credential's connections already calls, so the secret goes nowhere it does not already go.",
  request: {
    params: idParamsSchema,
    body: { required: true, content: { "application/json": { schema: testAuthBodySchema } } },
  },
  responses: {
    200: jsonContent(testAuthResultSchema, "The test ran; `ok` says whether the destination accepted it."),
    ...errorResponses(400, 404, 415),
  },
});

credentialTestAuth.openapi(testAuthRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { url } = c.req.valid("json");
  const stored = await getStoredCredential(c.env.LEDGER, id);
  if (!stored) throw notFoundError("credential", id);
  if (url === undefined && !OAUTH2_SCHEMES.has(stored.scheme)) {
    throw validationError([{ path: "url", message: "give the URL to call with this credential", in: "body" }]);
  }
  if (url !== undefined) {
    const issues = outboundUrlIssues([["url", url]], outboundUrlPolicy(c.env));
    if (issues.length > 0) throw validationError(issues);
    if (!roleAtLeast(c.get("principal").role, "admin")) await requireKnownOrigin(c.env.LEDGER, id, stored.config, url);
  }

  // The loader a run uses, so a credential that would fail a run fails here the same way.
  let credential: CredentialAuth;
  try {
    credential = await loadCredentialAuth(c.env, id);
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    return c.json(failed(error), 200);
  }
  const runtime = createSystemRuntime({ fetch: outboundFetch(c.env) });
  const report = await runTestAuth({
    url: url ?? null,
    auth: freshCredentialHeaders(credential, { runtime, timeout_ms: TEST_AUTH_TIMEOUT_MS }),
    runtime,
    timeoutMs: TEST_AUTH_TIMEOUT_MS,
    signal: c.req.raw.signal,
  });
  return c.json(report, 200);
});

// Operators cannot change where a secret is sent, so they may test it only where it already goes.
async function requireKnownOrigin(db: D1Database, credentialId: string, config: Record<string, unknown>, url: string): Promise<void> {
  const origins = new Set<string>();
  for (const json of await credentialConnectionConfigs(db, credentialId)) {
    for (const [, known] of contractUrls(JSON.parse(json) as ConnectionConfig)) addOrigin(origins, known);
  }
  if (typeof config.token_url === "string") addOrigin(origins, config.token_url);
  const wanted = URL.parse(url)?.origin;
  if (wanted !== undefined && origins.has(wanted)) return;
  const known = [...origins].sort();
  throw validationError([
    {
      path: "url",
      message:
        known.length === 0
          ? "operators may test only against hosts this credential's connections call, and it has none yet; an admin may test any URL"
          : `operators may test only against hosts this credential's connections call (${known.join(", ")}); an admin may test any URL`,
      in: "body",
    },
  ]);
}

function addOrigin(origins: Set<string>, url: string): void {
  // Templates hold placeholders only after the host, so the origin is the template's own.
  const origin = URL.parse(url.replace(/\{[^{}]*\}/g, "x"))?.origin;
  if (origin !== undefined && origin !== "null") origins.add(origin);
}

function failed(error: EngineError): TestAuthReport {
  return {
    ok: false,
    request: null,
    excerpt: null,
    excerpt_truncated: false,
    token: null,
    assertion: null,
    error: { code: error.code, message: error.message, hint: error.hint, http_status: error.http_status },
  };
}
