import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { listRuns, readRunDetail } from "../ledger/run-reads";
import { parseTimeInput, TimeInputError } from "../stats/time-range";
import { notFoundError, validationError } from "./errors";
import { createRouter } from "./router";
import { idParamsSchema, runDetailSchema, runListQuerySchema, runPageSchema } from "../schemas/runs";
import { errorResponses, jsonContent } from "../schemas/common";

// Mounted at /api/runs next to the run commands; expects `authenticate()` to have run on /api/*.
export const runsRouter = createRouter();

const listRunsRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  path: "/",
  tags: ["Runs"],
  summary: "List runs",
  description:
    "Newest first. Filters combine with AND; `serial` finds single runs of that serial and runs with an outcome for it. " +
    "Page with `cursor` = the previous page's `next_cursor`.",
  request: { query: runListQuerySchema },
  responses: {
    200: jsonContent(runPageSchema, "One page of runs."),
    ...errorResponses(400),
  },
});

const getRunRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  path: "/{id}",
  tags: ["Runs"],
  summary: "Get a run with its jobs",
  description: "The jobs come in execution order.",
  request: { params: idParamsSchema("run_01jd7v0q2k8x3c5n4m6p7r8s9t") },
  responses: {
    200: jsonContent(runDetailSchema, "The run and its jobs."),
    ...errorResponses(404),
  },
});

runsRouter.openapi(listRunsRoute, async (c) => {
  const query = c.req.valid("query");
  const now = Date.now();
  const page = await listRuns(c.env.LEDGER, {
    status: query.status,
    credentialId: query.credential,
    connectionId: query.connection,
    type: query.type,
    mode: query.mode,
    since: queryTime("since", query.since, now),
    until: queryTime("until", query.until, now),
    serial: query.serial,
    cursor: query.cursor,
    limit: query.limit,
  });
  return c.json({ data: page.data, next_cursor: page.nextCursor }, 200);
});

runsRouter.openapi(getRunRoute, async (c) => {
  const { id } = c.req.valid("param");
  const run = await readRunDetail(c.env.LEDGER, id);
  if (!run) throw notFoundError("run", id);
  return c.json(run, 200);
});

function queryTime(field: "since" | "until", input: string | undefined, now: number): number | undefined {
  if (input === undefined) return undefined;
  try {
    return parseTimeInput(field, input, now);
  } catch (err) {
    if (err instanceof TimeInputError) throw validationError([{ path: field, message: err.message, in: "query" }], "query");
    throw err;
  }
}
