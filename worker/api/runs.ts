import { createRoute, z } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { listRuns, readRunDetail } from "../ledger/run-reads";
import { cancelRun, createRun, rerun } from "../runs/run-service";
import { parseTimeInput, TimeInputError } from "../stats/time-range";
import { notFoundError, validationError } from "./errors";
import { createRouter } from "./router";
import { idCursor } from "./cursor";
import {
  applyRunResponseSchema,
  createRunBodySchema,
  idParamsSchema,
  rerunBodySchema,
  runDetailSchema,
  runListQuerySchema,
  runPageSchema,
  runPlanSchema,
} from "../schemas/runs";
import { applyDryRun, readPlan } from "../runs/plan-service";
import { clientHeaderSchema, triggerOf } from "./run-trigger";
import { errorResponses, jsonContent } from "../schemas/common";

// Mounted at /api/runs: viewers read runs, operators start, cancel and rerun them. Sync Now and Reset of a
// connection are in connection-runs.ts. Expects `authenticate()` to have run on /api/*.
export const runsRouter = createRouter();

const runParams = idParamsSchema("run_01jd7v0q2k8x3c5n4m6p7r8s9t");

const idempotencyHeaderSchema = clientHeaderSchema.extend({
  "idempotency-key": z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({
      description:
        "A retried request with the same key and body gets the same run, for 24 hours. Keys belong to the caller (token or " +
        "Access identity): another caller's same key is its own. The same key with a different body is refused with 409.",
    }),
});

const listRunsRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listRuns",
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
  operationId: "getRun",
  path: "/{id}",
  tags: ["Runs"],
  summary: "Get a run with its jobs",
  description: "The jobs come in execution order.",
  request: { params: runParams },
  responses: {
    200: jsonContent(runDetailSchema, "The run and its jobs."),
    ...errorResponses(404),
  },
});

const createRunRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "startRun",
  path: "/",
  tags: ["Runs"],
  summary: "Start a run",
  description:
    "Full or single, dry or live, over all enabled connections of a credential or a chosen subset, in execution order. " +
    "While another run of the credential is active the new run waits as `pending`.",
  request: {
    headers: idempotencyHeaderSchema,
    body: { required: true, content: { "application/json": { schema: createRunBodySchema } } },
  },
  responses: {
    202: jsonContent(runDetailSchema, "Accepted: the run, running or pending. A replayed Idempotency-Key returns the earlier run."),
    ...errorResponses(400, 409),
  },
});

const cancelRunRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "cancelRun",
  path: "/{id}/cancel",
  tags: ["Runs"],
  summary: "Cancel a run",
  description: "Takes effect within a second; partial results are kept. A pending run is canceled before it starts.",
  request: { params: runParams },
  responses: {
    200: jsonContent(runDetailSchema, "The run, now canceled."),
    ...errorResponses(404, 409),
  },
});

const rerunRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "rerunRun",
  path: "/{id}/rerun",
  tags: ["Runs"],
  summary: "Rerun a finished run",
  description: "A new run with the same type, serial and mode, over the failed connections or all of them.",
  request: { params: runParams, body: { required: true, content: { "application/json": { schema: rerunBodySchema } } } },
  responses: {
    202: jsonContent(runDetailSchema, "The new run."),
    ...errorResponses(400, 404, 409),
  },
});

const getPlanRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getRunPlan",
  path: "/{id}/plan",
  tags: ["Runs"],
  summary: "Whether a dry run's plan can be applied",
  description:
    "A finished dry run is a plan: for each would-update serial, the exact request it would send and the destination values it compared. " +
    "`state` says whether POST /api/runs/{id}/apply would start an apply run now, and if not why.",
  request: { params: runParams },
  responses: {
    200: jsonContent(runPlanSchema, "The plan's state and its connections."),
    ...errorResponses(404),
  },
});

const applyRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "applyDryRun",
  path: "/{id}/apply",
  tags: ["Runs"],
  summary: "Apply a dry run",
  description:
    "Starts a live run that sends exactly the dry run's planned requests and nothing else. Before each write it looks the record up again and " +
    "reads the source again: when the planned fields still hold the values the plan saw and the source gives the same payload, the planned " +
    "request is sent; otherwise the serial is `drifted` with its `differences`. Serials outside the plan are not touched. 409 codes: " +
    "`plan_not_dry`, `plan_not_finished`, `plan_outdated` (a connection changed since the dry run), `plan_expired` (settings plans.ttl_hours), " +
    "`plan_already_applied` (meta.run_id names the apply run), `plan_empty`.",
  request: { headers: clientHeaderSchema, params: runParams },
  responses: {
    201: jsonContent(applyRunResponseSchema, "The apply run (live), running or pending behind its credential's active run."),
    ...errorResponses(400, 404, 409),
  },
});

runsRouter.openapi(getPlanRoute, async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await readPlan(c.env, id), 200);
});

runsRouter.openapi(applyRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { run } = await applyDryRun(c.env, id, c.var.principal.name, triggerOf(c));
  return c.json({ run }, 201);
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
    cursor: idCursor(query.cursor, "run"),
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

runsRouter.openapi(createRunRoute, async (c) => {
  const body = c.req.valid("json");
  const key = c.req.valid("header")["idempotency-key"];
  const { run, created } = await createRun(c.env, {
    credentialId: body.credential_id,
    type: body.type,
    serial: body.serial ?? null,
    mode: body.mode ?? null,
    connectionIds: body.connection_ids ?? null,
    reset: body.reset ?? false,
    trigger: triggerOf(c),
    requestedBy: c.var.principal.name,
    idempotency: key === undefined ? null : { caller: `${c.var.principal.kind}:${c.var.principal.id}`, key },
  });
  if (!created) c.header("Idempotent-Replayed", "true");
  return c.json(run, 202);
});

runsRouter.openapi(cancelRunRoute, async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await cancelRun(c.env, id), 200);
});

runsRouter.openapi(rerunRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { scope } = c.req.valid("json");
  const { run } = await rerun(c.env, id, scope, c.var.principal.name);
  return c.json(run, 202);
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
