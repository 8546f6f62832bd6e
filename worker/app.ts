import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";
import { alerts } from "./api/alerts";
import { requestBodyLimit } from "./api/body-limit";
import { configAsCode } from "./api/config-as-code";
import { connectionAlerts } from "./api/connection-alerts";
import { connectionRuns } from "./api/connection-runs";
import { connectionSerials } from "./api/connection-serials";
import { serialStanding } from "./api/serial-standing";
import { connectionPause } from "./api/connection-pause";
import { connections } from "./api/connections";
import { credentials } from "./api/credentials";
import { datasetRecords } from "./api/dataset-records";
import { destinationBreakers } from "./api/destination-breakers";
import { demoSeed } from "./api/demo-seed-middleware";
import { handleError, handleNotFound, validationHook } from "./api/errors";
import { allowedMethods } from "./api/allowed-methods";
import { health } from "./api/health";
import { jobsRouter } from "./api/jobs";
import { jobRequestsRouter } from "./api/jobs-requests";
import { retentionRouter } from "./api/retention";
import { runsRouter } from "./api/runs";
import { runsBulkRouter } from "./api/runs-bulk";
import { mountApiDocs } from "./api/openapi";
import { settings } from "./api/settings";
import { statsRouter } from "./api/stats";
import { testLookup } from "./api/test-lookup";
import { sessionRouter } from "./api/session";
import { tokensRouter } from "./api/tokens";
import { authenticate } from "./auth/middleware";
import { liveRouter } from "./api/live";
import { mcpRouter } from "./mcp/route";
import { securityHeaders } from "./auth/security-headers";
import { serverDate } from "./api/server-date";
import { sandboxMount } from "./sandbox/mount";
import { oauthCallback } from "./api/oauth-callback";

export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(handleError);
  app.notFound((c) => handleNotFound(c, allowedMethods(app, c.req.path)));
  app.use("*", serverDate());
  app.use("*", securityHeaders());
  // Before every route: JSON and MCP bodies over 1 MB get 413 (dataset uploads keep their own 20 MB).
  app.use("/api/*", requestBodyLimit());
  app.use("/mcp/*", requestBodyLimit());

  app.route("/sandbox", sandboxMount);
  // Public, and registered before the API's middleware so authentication never runs for them.
  mountApiDocs(app);

  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // Health first: public, and it answers even when seeding cannot run (no migrations).
  api.route("/health", health);
  // A browser WebSocket cannot send headers: the live feed authenticates itself (token subprotocol, checks Origin).
  api.route("/live", liveRouter);
  // Public: a provider sends the person's browser back here, with no token; the single-use state names the credential.
  api.route("/oauth", oauthCallback);
  // Everything registered after this line needs a token or an Access identity; each route adds its minimum role.
  api.use("*", authenticate());
  api.use("*", demoSeed());
  api.route("/credentials", credentials);
  api.route("/connections", connections);
  api.route("/connections", datasetRecords);
  api.route("/connections", testLookup);
  api.route("/settings", settings);
  api.route("/config", configAsCode);
  api.route("/retention", retentionRouter);
  api.route("/stats", statsRouter);
  api.route("/session", sessionRouter);
  api.route("/tokens", tokensRouter);
  api.route("/alerts", alerts);
  // Before /runs: its /{id}/cancel would take /bulk/cancel.
  api.route("/runs/bulk", runsBulkRouter);
  api.route("/runs", runsRouter);
  api.route("/jobs", jobsRouter);
  api.route("/jobs", jobRequestsRouter);
  api.route("/connections", connectionRuns);
  api.route("/connections", connectionSerials);
  api.route("/serials", serialStanding);
  api.route("/destinations", destinationBreakers);
  api.route("/connections", connectionPause);
  api.route("/connections", connectionAlerts);
  app.route("/api", api);
  // The agent endpoint authenticates itself (bearer token or Access, viewer and up), like the API.
  app.route("/mcp", mcpRouter);

  return app;
}

export const app = createApp();
