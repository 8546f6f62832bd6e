import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { buildStatsReport } from "../stats/stats-report";
import { DAY_MS } from "../stats/time-range";
import { queryTime, queryTimeRange } from "./query-times";
import { createRouter } from "./router";
import { errorResponses, jsonContent } from "../schemas/common";
import { statsQuerySchema, statsResponseSchema } from "../schemas/stats";

// Mounted at /api/stats behind `authenticate()`.
export const statsRouter = createRouter();

const getStatsRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getStats",
  path: "/",
  tags: ["Stats"],
  summary: "Health of the syncs over a time window",
  description:
    "Jobs and runs by status with success rates, failed jobs, completed-job durations (average, p50, p95) overall and per " +
    "connection, each connection's newest jobs for a sparkline, and the connections without a successful job since a time.",
  request: { query: statsQuerySchema },
  responses: {
    200: jsonContent(statsResponseSchema, "The window's figures."),
    ...errorResponses(400),
  },
});

statsRouter.openapi(getStatsRoute, async (c) => {
  const query = c.req.valid("query");
  const now = Date.now();
  const report = await buildStatsReport(c.env.LEDGER, {
    window: queryTimeRange(query, now, DAY_MS),
    noSuccessSince: queryTime("no_success_since", query.no_success_since, now, 3 * DAY_MS),
    failuresLimit: query.failures_limit,
    recentPerConnection: query.recent_per_connection,
  });
  return c.json(report, 200);
});
