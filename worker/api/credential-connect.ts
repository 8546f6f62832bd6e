import { createRoute, z } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { getStoredCredential } from "../ledger/credentials";
import { connectIssue, startConnect } from "../tokens/connect";
import { notFoundError, validationError } from "./errors";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent } from "../schemas/common";
import { connectStartedSchema } from "../schemas/credentials";

export const credentialConnect = createRouter();

const connectRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "connectCredential",
  path: "/{id}/connect",
  tags: ["Credentials"],
  summary: "Connect an oauth2_refresh_token credential (authorization code with PKCE)",
  description:
    "Starts the provider's authorization: returns the URL to send the browser to, with a single-use `state` and a PKCE challenge. " +
    "When the person approves, the provider sends them to GET /api/oauth/callback, which trades the code for a refresh token, keeps it " +
    "(replacing any before it) and sends them on to /credentials?connected=<id>, or /credentials?connect_error=<message>&credential=<id>.",
  request: {
    params: idParamsSchema,
    body: { required: true, content: { "application/json": { schema: z.strictObject({}).openapi("ConnectRequest") } } },
  },
  responses: { 200: jsonContent(connectStartedSchema, "Send the browser to authorize_url."), ...errorResponses(400, 404, 415, 503) },
});

credentialConnect.openapi(connectRoute, async (c) => {
  const { id } = c.req.valid("param");
  const stored = await getStoredCredential(c.env.LEDGER, id);
  if (stored === null) throw notFoundError("credential", id);
  const issue = connectIssue(stored);
  if (issue !== null) throw validationError([{ ...issue, in: "body" }]);
  // The dashboard's own origin: the one the person registers, as the credential form shows it.
  const origin = new URL(c.req.url).origin;
  return c.json(await startConnect(c.env, stored, origin, c.get("principal").name, Date.now()), 200);
});
