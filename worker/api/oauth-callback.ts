import { createRoute, z } from "@hono/zod-openapi";
import { dashboardPaths } from "../../shared/dashboard-paths";
import { finishConnect } from "../tokens/connect";
import { createRouter } from "./router";

export const oauthCallback = createRouter();

const callbackRoute = createRoute({
  method: "get",
  operationId: "oauthCallback",
  path: "/callback",
  tags: ["Credentials"],
  summary: "Where a provider sends the person back after Connect",
  description:
    "Public: the browser arrives from the provider without a token; the single-use `state` (10 minutes) is what names the credential. " +
    "Answers 303 to /credentials?connected=<id>, or /credentials?connect_error=<message>[&credential=<id>].",
  security: [],
  request: {
    query: z.object({
      state: z.string().max(200).optional(),
      code: z.string().max(4096).optional(),
      error: z.string().max(200).optional(),
      error_description: z.string().max(1000).optional(),
    }),
  },
  responses: { 303: { description: "On to the Credentials page, which says how it went." } },
});

oauthCallback.openapi(callbackRoute, async (c) => {
  const outcome = await finishConnect(c.env, c.req.valid("query"), Date.now());
  // The code and state must not linger in the history or go on in a Referer.
  c.header("Referrer-Policy", "no-referrer");
  c.header("Cache-Control", "no-store");
  return c.redirect(outcome.ok ? dashboardPaths.connected(outcome.credentialId) : dashboardPaths.connectFailed(outcome.message, outcome.credentialId), 303);
});
