import { createRoute, z } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { resetConnection, syncNow } from "../runs/run-service";
import { createRouter } from "./router";
import { idParamsSchema, runDetailSchema } from "../schemas/runs";
import { clientHeaderSchema, triggerOf } from "./run-trigger";
import { errorResponses, jsonContent } from "../schemas/common";

// Mounted at /api/connections: Sync Now and Reset start or prepare runs of one connection (operators).
// The run routes, reads and commands, live in runs.ts.
export const connectionRuns = createRouter();

const resetQuerySchema = z.object({
  resync: z.enum(["true", "false", "1", "0"]).optional().openapi({ description: "true also starts a complete full run of the connection." }),
});

const resetResultSchema = z
  .object({
    connection_id: z.string(),
    run: runDetailSchema.nullable().openapi({ description: "The re-sync run, when asked for." }),
  })
  .openapi("ConnectionResetResult");

const connectionParams = idParamsSchema("conn_demo_json");

const syncRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "syncConnection",
  path: "/{id}/sync",
  tags: ["Runs"],
  summary: "Sync Now",
  description: "A full run of this connection in its own dry-run setting: incremental once it has a cursor.",
  request: { params: connectionParams, headers: clientHeaderSchema },
  responses: {
    202: jsonContent(runDetailSchema, "The run."),
    ...errorResponses(404, 409),
  },
});

const resetRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "resetConnection",
  path: "/{id}/reset",
  tags: ["Runs"],
  summary: "Reset (and re-sync) a connection",
  description: "Clears the incremental cursor and the failed-serial retry list; `resync=true` also starts a complete full run.",
  request: { params: connectionParams, query: resetQuerySchema },
  responses: {
    200: jsonContent(resetResultSchema, "Reset; `run` is set when a re-sync started."),
    ...errorResponses(404, 409),
  },
});

connectionRuns.openapi(syncRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { run } = await syncNow(c.env, id, c.var.principal.name, triggerOf(c));
  return c.json(run, 202);
});

connectionRuns.openapi(resetRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { resync } = c.req.valid("query");
  const result = await resetConnection(c.env, id, resync === "true" || resync === "1", c.var.principal.name);
  return c.json(result, 200);
});
