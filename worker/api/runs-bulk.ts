import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { bulkCancel, bulkRerun, previewBulk, type BulkFilters } from "../runs/bulk-runs";
import { parseTimeInput, TimeInputError } from "../stats/time-range";
import { validationError } from "./errors";
import { createRouter } from "./router";
import { errorResponses, jsonContent } from "../schemas/common";
import { BULK_RUN_LIMIT, bulkCancelBodySchema, bulkPreviewBodySchema, bulkPreviewSchema, bulkRerunBodySchema, bulkResultSchema } from "../schemas/bulk-runs";
import type { z } from "@hono/zod-openapi";
import type { bulkRunFiltersSchema } from "../schemas/bulk-runs";

// Mounted at /api/runs/bulk, ahead of /api/runs (whose /{id}/cancel would otherwise take /bulk/cancel).
export const runsBulkRouter = createRouter();

const previewRoute = createRoute({
  ...minRole("viewer"),
  method: "post",
  operationId: "previewBulkRunAction",
  path: "/preview",
  tags: ["Runs"],
  summary: "Count the runs a bulk action would touch",
  description: "The same filters as GET /api/runs, in a JSON body, and the action: how many runs it would cancel or rerun, and the first ids.",
  request: { body: { required: true, content: { "application/json": { schema: bulkPreviewBodySchema } } } },
  responses: { 200: jsonContent(bulkPreviewSchema, "The count and the first run ids."), ...errorResponses(400) },
});

const cancelRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "cancelRunsInBulk",
  path: "/cancel",
  tags: ["Runs"],
  summary: "Cancel every pending or running run matching the filters",
  description:
    `The filters of GET /api/runs and \`expected_count\`, the count the preview showed: 409 \`count_changed\` when the matching runs now number ` +
    `otherwise (nothing is canceled), 400 \`bulk_too_large\` above ${BULK_RUN_LIMIT}. A run that finished meanwhile is listed in \`skipped\`.`,
  request: { body: { required: true, content: { "application/json": { schema: bulkCancelBodySchema } } } },
  responses: { 200: jsonContent(bulkResultSchema, "What was canceled and what was skipped."), ...errorResponses(400, 409) },
});

const rerunRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "rerunRunsInBulk",
  path: "/rerun",
  tags: ["Runs"],
  summary: "Rerun every finished run matching the filters",
  description:
    `Each matching completed, failed or canceled run is rerun as POST /api/runs/{id}/rerun does (\`scope\`, default all); \`expected_count\` ` +
    `as for bulk cancel (409 \`count_changed\`, 400 \`bulk_too_large\` above ${BULK_RUN_LIMIT}). A run that cannot be rerun (no failed ` +
    "connection for scope failed) is listed in `skipped`.",
  request: { body: { required: true, content: { "application/json": { schema: bulkRerunBodySchema } } } },
  responses: { 202: jsonContent(bulkResultSchema, "The runs rerun, their new runs, and what was skipped."), ...errorResponses(400, 409) },
});

runsBulkRouter.openapi(previewRoute, async (c) => {
  const body = c.req.valid("json");
  return c.json(await previewBulk(c.env.LEDGER, filtersOf(body, Date.now()), body.action), 200);
});

runsBulkRouter.openapi(cancelRoute, async (c) => {
  const body = c.req.valid("json");
  return c.json(await bulkCancel(c.env, filtersOf(body, Date.now()), body.expected_count), 200);
});

runsBulkRouter.openapi(rerunRoute, async (c) => {
  const body = c.req.valid("json");
  return c.json(await bulkRerun(c.env, filtersOf(body, Date.now()), body.expected_count, body.scope, c.var.principal.name), 202);
});

function filtersOf(body: z.infer<typeof bulkRunFiltersSchema>, now: number): BulkFilters {
  return {
    status: body.status,
    credentialId: body.credential,
    connectionId: body.connection,
    type: body.type,
    mode: body.mode,
    since: bodyTime("since", body.since, now),
    until: bodyTime("until", body.until, now),
    serial: body.serial,
  };
}

function bodyTime(field: "since" | "until", input: string | undefined, now: number): number | undefined {
  if (input === undefined) return undefined;
  try {
    return parseTimeInput(field, input, now);
  } catch (err) {
    if (err instanceof TimeInputError) throw validationError([{ path: field, message: err.message, in: "body" }], "body");
    throw err;
  }
}
