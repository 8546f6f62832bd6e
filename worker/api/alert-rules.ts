import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { getAlertChannel } from "../ledger/alerts-channels";
import { deleteAlertRule, getAlertRule, insertAlertRule, listAlertRules, updateAlertRule } from "../ledger/alerts-rules";
import { newId } from "../ledger/ids";
import { paramsOf, ruleParamsIssues } from "../alerts/rule-params";
import { ALERT_TAGS, connectionIssues, jsonBody, requireConnections } from "./alert-checks";
import { createRuleBodySchema, ruleListQuerySchema, rulePageSchema, ruleSchema, updateRuleBodySchema } from "../schemas/alerts";
import { decodeCursor, encodeCursor, isStringTuple1 } from "./cursor";
import { notFoundError, validationError, type FieldIssue } from "./errors";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent } from "../schemas/common";

// Alert rules under /api/alerts: viewers read them, admins configure them.
export const alertRules = createRouter();

const listRulesRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listAlertRules",
  path: "/rules",
  tags: ALERT_TAGS,
  summary: "List alert rules",
  request: { query: ruleListQuerySchema },
  responses: { 200: jsonContent(rulePageSchema, "A page of rules."), ...errorResponses(400) },
});

const getRuleRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getAlertRule",
  path: "/rules/{id}",
  tags: ALERT_TAGS,
  summary: "Get an alert rule",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(ruleSchema, "The rule."), ...errorResponses(404) },
});

const createRuleRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "createAlertRule",
  path: "/rules",
  tags: ALERT_TAGS,
  summary: "Create an alert rule",
  description:
    "Alerts the channel when a connection (all, or the ones listed) has failed `failure_threshold` jobs in a row, " +
    "and sends a recovery notice when it next completes. Set 2 to page only when a failure repeats. With `condition` " +
    "verify_mismatch or drifted it alerts when one job has at least `failure_threshold` records with that outcome, and " +
    "recovers with the next completed live job without any. The anomaly conditions compare a completed job with the connection's recent runs " +
    "(`params`, each refused on a condition that does not read it): slow_run (duration above `factor` × the median), volume_change " +
    "(the `metric` count outside the recent range widened by `percent` %) and missing_spike (the missing-destination share `percent` points above " +
    "its median); each recovers with the next completed job that is normal again.",
  request: { body: jsonBody(createRuleBodySchema) },
  responses: { 201: jsonContent(ruleSchema, "Created."), ...errorResponses(400, 415) },
});

const updateRuleRoute = createRoute({
  ...minRole("admin"),
  method: "patch",
  operationId: "updateAlertRule",
  path: "/rules/{id}",
  tags: ALERT_TAGS,
  summary: "Change an alert rule",
  request: { params: idParamsSchema, body: jsonBody(updateRuleBodySchema) },
  responses: { 200: jsonContent(ruleSchema, "The changed rule."), ...errorResponses(400, 404, 415) },
});

const deleteRuleRoute = createRoute({
  ...minRole("admin"),
  method: "delete",
  operationId: "deleteAlertRule",
  path: "/rules/{id}",
  tags: ALERT_TAGS,
  summary: "Delete an alert rule",
  request: { params: idParamsSchema },
  responses: { 204: { description: "Deleted." }, ...errorResponses(404) },
});

alertRules.openapi(listRulesRoute, async (c) => {
  const { cursor, limit, channel_id: channelId } = c.req.valid("query");
  const after = decodeCursor(cursor, isStringTuple1);
  const { data, hasMore } = await listAlertRules(c.env.LEDGER, { channelId: channelId ?? null, afterId: after?.[0] ?? null, limit });
  const last = data.at(-1);
  return c.json({ data, next_cursor: hasMore && last ? encodeCursor([last.id]) : null }, 200);
});

alertRules.openapi(getRuleRoute, async (c) => {
  const { id } = c.req.valid("param");
  const rule = await getAlertRule(c.env.LEDGER, id);
  if (!rule) throw notFoundError("alert rule", id);
  return c.json(rule, 200);
});

alertRules.openapi(createRuleRoute, async (c) => {
  const body = c.req.valid("json");
  const issues: FieldIssue[] = [];
  if ((await getAlertChannel(c.env.LEDGER, body.channel_id)) === null) {
    issues.push({ path: "channel_id", message: `no alert channel with id "${body.channel_id}"`, in: "body" });
  }
  issues.push(...(await connectionIssues(c.env, body.connection_ids)));
  issues.push(...ruleParamsIssues(body.condition, body.params));
  if (issues.length > 0) throw validationError(issues);
  const now = Date.now();
  const rule = await insertAlertRule(
    c.env.LEDGER,
    newId("rule", now),
    {
      channelId: body.channel_id,
      connectionIds: body.connection_ids,
      condition: body.condition,
      failureThreshold: body.failure_threshold,
      notifyRecovery: body.notify_recovery,
      enabled: body.enabled,
      severity: body.severity,
      params: body.params,
      mutedUntil: mutedUntilMs(body.muted_until),
    },
    now,
  );
  return c.json(rule, 201);
});

alertRules.openapi(updateRuleRoute, async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const current = await getAlertRule(c.env.LEDGER, id);
  if (!current) throw notFoundError("alert rule", id);
  const condition = body.condition ?? current.condition;
  if (body.params !== undefined) {
    const issues = ruleParamsIssues(condition, body.params);
    if (issues.length > 0) throw validationError(issues);
  }
  if (body.connection_ids !== undefined) await requireConnections(c.env, body.connection_ids);
  const rule = await updateAlertRule(
    c.env.LEDGER,
    id,
    {
      connectionIds: body.connection_ids !== undefined ? body.connection_ids : current.connection_ids,
      condition,
      failureThreshold: body.failure_threshold ?? current.failure_threshold,
      notifyRecovery: body.notify_recovery ?? current.notify_recovery,
      enabled: body.enabled ?? current.enabled,
      severity: body.severity ?? current.severity,
      params: body.params ?? paramsOf(condition, current.params),
      mutedUntil: mutedUntilMs(body.muted_until !== undefined ? body.muted_until : current.muted_until),
    },
    Date.now(),
  );
  if (!rule) throw notFoundError("alert rule", id);
  return c.json(rule, 200);
});

function mutedUntilMs(iso: string | null): number | null {
  return iso === null ? null : Date.parse(iso);
}

alertRules.openapi(deleteRuleRoute, async (c) => {
  const { id } = c.req.valid("param");
  if (!(await deleteAlertRule(c.env.LEDGER, id))) throw notFoundError("alert rule", id);
  return c.body(null, 204);
});
