import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { minRole } from "../auth/middleware";
import { issueApiToken } from "../auth/tokens";
import { listApiTokens, revokeApiToken } from "../ledger/api-tokens";
import { disconnectTokenEverywhere } from "../live/publish";
import { ApiError, notFoundError, validationHook } from "./errors";
import { errorResponses, idParamsSchema, jsonContent } from "../schemas/common";
import { apiTokenPageSchema, apiTokenSchema, createdApiTokenSchema, createTokenBodySchema, requestedTokenExpiry } from "../schemas/tokens";

// Mounted at /api/tokens; expects `authenticate()` to have run on /api/*.
export const tokensRouter = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

const createTokenRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "createToken",
  path: "/",
  tags: ["API tokens"],
  summary: "Create an API token",
  description:
    "The response is the only time the token is shown; only its SHA-256 hash is stored. With `expires_in_days` or " +
    "`expires_at` the token is refused from that time on (401 saying when it expired), and its live sockets close.",
  request: { body: { required: true, content: { "application/json": { schema: createTokenBodySchema } } } },
  responses: {
    201: jsonContent(createdApiTokenSchema, "Created; store `token` now."),
    ...errorResponses(400),
  },
});

const listTokensRoute = createRoute({
  ...minRole("admin"),
  method: "get",
  operationId: "listTokens",
  path: "/",
  tags: ["API tokens"],
  summary: "List API tokens",
  description: "Newest first, revoked and expired tokens included. Tokens themselves and their hashes are never returned.",
  responses: {
    200: jsonContent(apiTokenPageSchema, "Every token (one page; `next_cursor` is always null)."),
    ...errorResponses(),
  },
});

const revokeTokenRoute = createRoute({
  ...minRole("admin"),
  method: "delete",
  operationId: "revokeToken",
  path: "/{id}",
  tags: ["API tokens"],
  summary: "Revoke an API token",
  description:
    "Takes effect on the next request, and live-progress sockets opened with the token are closed (code 1008). " +
    "Revoking twice keeps the first time. The last active admin token cannot be revoked.",
  request: { params: idParamsSchema },
  responses: {
    200: jsonContent(apiTokenSchema, "The token, now revoked."),
    ...errorResponses(404, 409),
  },
});

tokensRouter.openapi(createTokenRoute, async (c) => {
  const body = c.req.valid("json");
  const now = Date.now();
  const created = await issueApiToken(c.env.LEDGER, {
    name: body.name,
    role: body.role,
    createdBy: c.var.principal.name,
    now,
    expiresAt: requestedTokenExpiry(body, now),
  });
  return c.json(created, 201);
});

tokensRouter.openapi(listTokensRoute, async (c) => {
  const data = await listApiTokens(c.env.LEDGER);
  return c.json({ data, next_cursor: null }, 200);
});

tokensRouter.openapi(revokeTokenRoute, async (c) => {
  const { id } = c.req.valid("param");
  const outcome = await revokeApiToken(c.env.LEDGER, id, Date.now());
  switch (outcome.status) {
    case "revoked":
      // Sockets authenticate once, at the upgrade: open ones are closed now rather than left watching.
      await disconnectTokenEverywhere(c.env, id);
      return c.json(outcome.token, 200);
    case "not_found":
      throw notFoundError("API token", id);
    case "last_admin":
      throw new ApiError(409, "last_admin_token", `"${outcome.token.name}" is the last active admin token; create another admin token first.`);
  }
});
