import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { minRole } from "../auth/middleware";
import type { RunTrigger } from "../schemas/vocabulary";
import { cancelRun, createRun, rerun, resetConnection, syncNow } from "../runs/run-service";
import { CLIENT_HEADER, DASHBOARD_CLIENT } from "./client-header";
import { createRouter } from "./router";
import { createRunBodySchema, idParamsSchema, rerunBodySchema, runDetailSchema } from "../schemas/runs";
import { errorResponses, jsonContent } from "../schemas/common";

// Mounted at /api: POST /runs, /runs/{id}/cancel, /runs/{id}/rerun, /connections/{id}/sync and /reset.
// Operators run and cancel; the reads of runs live in runs.ts.
export const runCommands = createRouter();

const clientHeaderSchema = z.object({
  [CLIENT_HEADER]: z
    .string()
    .max(40)
    .optional()
    .openapi({
      description: `\`${DASHBOARD_CLIENT}\` marks a request the dashboard sends: the run is then \`manual\` (started by a person) rather than \`api\`.`,
    }),
});

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

const resetQuerySchema = z.object({
  resync: z.enum(["true", "false", "1", "0"]).optional().openapi({ description: "true also starts a complete full run of the connection." }),
});

const resetResultSchema = z
  .object({
    connection_id: z.string(),
    run: runDetailSchema.nullable().openapi({ description: "The re-sync run, when asked for." }),
  })
  .openapi("ConnectionResetResult");

const runParams = idParamsSchema("run_01jd7v0q2k8x3c5n4m6p7r8s9t");
const connectionParams = idParamsSchema("conn_demo_json");

const createRunRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  path: "/runs",
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
  path: "/runs/{id}/cancel",
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
  path: "/runs/{id}/rerun",
  tags: ["Runs"],
  summary: "Rerun a finished run",
  description: "A new run with the same type, serial and mode, over the failed connections or all of them.",
  request: { params: runParams, body: { required: true, content: { "application/json": { schema: rerunBodySchema } } } },
  responses: {
    202: jsonContent(runDetailSchema, "The new run."),
    ...errorResponses(400, 404, 409),
  },
});

const syncRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  path: "/connections/{id}/sync",
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
  path: "/connections/{id}/reset",
  tags: ["Runs"],
  summary: "Reset (and re-sync) a connection",
  description: "Clears the incremental cursor and the failed-serial retry list; `resync=true` also starts a complete full run.",
  request: { params: connectionParams, query: resetQuerySchema },
  responses: {
    200: jsonContent(resetResultSchema, "Reset; `run` is set when a re-sync started."),
    ...errorResponses(404, 409),
  },
});

// Access identities and the dashboard's own requests are people; other token callers are scripts, CI and agents.
function triggerOf(c: Context<AppEnv>): RunTrigger {
  if (c.var.principal.kind === "access") return "manual";
  return c.req.header(CLIENT_HEADER) === DASHBOARD_CLIENT ? "manual" : "api";
}

runCommands.openapi(createRunRoute, async (c) => {
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

runCommands.openapi(cancelRunRoute, async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await cancelRun(c.env, id), 200);
});

runCommands.openapi(rerunRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { scope } = c.req.valid("json");
  const { run } = await rerun(c.env, id, scope, c.var.principal.name);
  return c.json(run, 202);
});

runCommands.openapi(syncRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { run } = await syncNow(c.env, id, c.var.principal.name, triggerOf(c));
  return c.json(run, 202);
});

runCommands.openapi(resetRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { resync } = c.req.valid("query");
  const result = await resetConnection(c.env, id, resync === "true" || resync === "1", c.var.principal.name);
  return c.json(result, 200);
});
