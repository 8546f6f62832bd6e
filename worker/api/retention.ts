import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { runningPass, latestPass } from "../ledger/retention";
import { runRetention } from "../retention/retention-pass";
import { buildRetentionReport, passView } from "../retention/retention-report";
import { createRouter } from "./router";
import { errorResponses, jsonContent } from "../schemas/common";
import { retentionQuerySchema, retentionResponseSchema, retentionRunResponseSchema } from "../schemas/retention";

// Mounted at /api/retention behind `authenticate()`. The plan itself is set through PUT /api/settings.
export const retentionRouter = createRouter();

const getRetentionRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getRetention",
  path: "/",
  tags: ["Settings"],
  summary: "Retention window, log export status and recent purges",
  description:
    "The window in effect and today's purge line; the log export destination and each day's export status (a failed " +
    "day blocks purging from that day on); the retention passes with what each deleted per table and from the R2 archive.",
  request: { query: retentionQuerySchema },
  responses: {
    200: jsonContent(retentionResponseSchema, "Retention and export state."),
    ...errorResponses(400),
  },
});

const runRetentionRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "runRetention",
  path: "/run",
  tags: ["Settings"],
  summary: "Run the retention job now",
  description:
    "Does what the daily trigger does, within one invocation's time budget: starts today's pass (or continues an unfinished " +
    "one), exports finished days when export is configured, and purges what is older than the window. Safe to repeat.",
  responses: {
    200: jsonContent(retentionRunResponseSchema, "What this invocation did."),
    ...errorResponses(),
  },
});

retentionRouter.openapi(getRetentionRoute, async (c) => {
  const query = c.req.valid("query");
  const report = await buildRetentionReport(c.env.LEDGER, { now: Date.now(), passesLimit: query.passes_limit, exportsLimit: query.exports_limit });
  return c.json(report, 200);
});

retentionRouter.openapi(runRetentionRoute, async (c) => {
  const result = await runRetention(c.env, { mayStart: true });
  const pass = (await runningPass(c.env.LEDGER)) ?? (await latestPass(c.env.LEDGER));
  return c.json(
    {
      status: result.status,
      deleted: result.deleted,
      archive_deleted: result.archiveDeleted,
      exported_days: result.exportedDays,
      longest_statement_ms: result.longestStatementMs,
      error: result.error,
      pass: pass === null ? null : passView(pass),
    },
    200,
  );
});
