import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { getConnection } from "../ledger/connections";
import { resumeConnection } from "../ledger/connection-pause";
import { notFoundError } from "./errors";
import { createRouter } from "./router";
import { judgeConnectionPause } from "../alerts/pause-alerts";
import { errorResponses, idParamsSchema, jsonContent } from "../schemas/common";
import { connectionSchema } from "../schemas/connections";

// Mounted at /api/connections: Resume undoes the pause a failure streak put on a connection (operators).
export const connectionPause = createRouter();

const resumeRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "resumeConnection",
  path: "/{id}/resume",
  tags: ["Connections"],
  summary: "Resume a paused connection",
  description:
    "A connection whose jobs failed `connections.pause_after_failed_runs` times in a row is paused: the scheduler skips it " +
    "(manual runs still start). Resume clears the pause, starts the failure streak and the freshness clock again from zero and resolves the " +
    "connection_paused alert. Resuming a connection that is not paused changes nothing.",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(connectionSchema, "The connection, no longer paused."), ...errorResponses(404) },
});

connectionPause.openapi(resumeRoute, async (c) => {
  const { id } = c.req.valid("param");
  const now = Date.now();
  const outcome = await resumeConnection(c.env.LEDGER, id, now);
  if (outcome === "not_found") throw notFoundError("connection", id);
  if (outcome === "resumed") await judgeConnectionPause(c.env, id, { now });
  const connection = await getConnection(c.env.LEDGER, id);
  if (connection === null) throw notFoundError("connection", id);
  return c.json(connection, 200);
});
