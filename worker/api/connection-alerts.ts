import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import type { Env } from "../env";
import { listAlertRoutes, replaceAlertRoutes, routeTargets, setConnectionAlertsMute, type AlertRouteRow } from "../ledger/alert-routes";
import { getConnection } from "../ledger/connections";
import { jsonBody } from "./alert-checks";
import { notFoundError, validationError, type FieldIssue } from "./errors";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent } from "../schemas/common";
import { alertRoutesBodySchema, alertRoutesSchema, alertsMuteBodySchema, alertsMuteSchema, type AlertRoute } from "../schemas/connection-alerts";

// Mounted at /api/connections: a connection's alert mute (operators, like snoozing a page) and its alert routing
// (admins, like the rules it overrides).
export const connectionAlerts = createRouter();
const TAGS = ["Alerts"];

const muteRoute = createRoute({
  ...minRole("operator"),
  method: "put",
  operationId: "setConnectionAlertsMute",
  path: "/{id}/alerts-mute",
  tags: TAGS,
  summary: "Mute or unmute a connection's alerts",
  description:
    "Until `until`, no alert about this connection is sent by any rule: incidents still open, change level and resolve, " +
    "so the state is right when the mute ends. A resolve still reaches PagerDuty. `until: null` unmutes.",
  request: { params: idParamsSchema, body: jsonBody(alertsMuteBodySchema) },
  responses: { 200: jsonContent(alertsMuteSchema, "The mute as it is now."), ...errorResponses(400, 404, 415) },
});

const listRoutesRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getConnectionAlertRoutes",
  path: "/{id}/alert-routes",
  tags: TAGS,
  summary: "A connection's alert routing",
  description: "Each route sends one rule's alerts about this connection to another channel instead of the rule's own.",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(alertRoutesSchema, "The routes."), ...errorResponses(404) },
});

const putRoutesRoute = createRoute({
  ...minRole("admin"),
  method: "put",
  operationId: "setConnectionAlertRoutes",
  path: "/{id}/alert-routes",
  tags: TAGS,
  summary: "Set a connection's alert routing",
  description:
    "Replaces every route of the connection. A rule may appear once and must watch this connection; the channel must exist " +
    "(a disabled channel gets nothing, as for a rule).",
  request: { params: idParamsSchema, body: jsonBody(alertRoutesBodySchema) },
  responses: { 200: jsonContent(alertRoutesSchema, "The routes after the change."), ...errorResponses(400, 404, 415) },
});

connectionAlerts.openapi(muteRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { until } = c.req.valid("json");
  const untilMs = until === null ? null : Date.parse(until);
  if (untilMs !== null && untilMs <= Date.now()) throw validationError([{ path: "until", message: "must be in the future", in: "body" }]);
  if (!(await setConnectionAlertsMute(c.env.LEDGER, id, untilMs))) throw notFoundError("connection", id);
  return c.json({ connection_id: id, alerts_muted_until: untilMs === null ? null : new Date(untilMs).toISOString() }, 200);
});

connectionAlerts.openapi(listRoutesRoute, async (c) => {
  const { id } = c.req.valid("param");
  await requireConnection(c.env, id);
  return c.json({ data: (await listAlertRoutes(c.env.LEDGER, id)).map(toRoute) }, 200);
});

connectionAlerts.openapi(putRoutesRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { routes } = c.req.valid("json");
  await requireConnection(c.env, id);
  const targets = await routeTargets(
    c.env.LEDGER,
    routes.map((r) => r.rule_id),
    routes.map((r) => r.channel_id),
  );
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  routes.forEach((route, i) => {
    const watched = targets.rules.get(route.rule_id);
    if (watched === undefined) issues.push({ path: `routes[${i}].rule_id`, message: `no alert rule with id "${route.rule_id}"`, in: "body" });
    else if (watched !== null && !watched.includes(id))
      issues.push({ path: `routes[${i}].rule_id`, message: "this rule does not watch this connection", in: "body" });
    else if (seen.has(route.rule_id)) issues.push({ path: `routes[${i}].rule_id`, message: "this rule already has a route", in: "body" });
    seen.add(route.rule_id);
    if (!targets.channels.has(route.channel_id))
      issues.push({ path: `routes[${i}].channel_id`, message: `no channel with id "${route.channel_id}"`, in: "body" });
  });
  if (issues.length > 0) throw validationError(issues);
  await replaceAlertRoutes(
    c.env.LEDGER,
    id,
    routes.map((r) => ({ ruleId: r.rule_id, channelId: r.channel_id })),
    Date.now(),
  );
  return c.json({ data: (await listAlertRoutes(c.env.LEDGER, id)).map(toRoute) }, 200);
});

async function requireConnection(env: Env, id: string): Promise<void> {
  if (!(await getConnection(env.LEDGER, id))) throw notFoundError("connection", id);
}

function toRoute(row: AlertRouteRow): AlertRoute {
  return { ...row, created_at: new Date(row.created_at).toISOString() };
}
