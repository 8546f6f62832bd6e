import { createRoute } from "@hono/zod-openapi";
import type { ChannelConfig } from "../alerts/channel-config";
import { pokeAlertDispatcher } from "../alerts/poke";
import { ChannelUnusableError } from "../alerts/resolve-channel";
import { generateWebhookSecret } from "../alerts/signing";
import { sendTestMessage } from "../alerts/test-send";
import { DEFAULT_EMAIL_FROM_NAME, PAGERDUTY_EVENTS_URL, type ChannelKind } from "../alerts/vocabulary";
import { minRole } from "../auth/middleware";
import { decryptSecret, encryptSecret, SECRET_BINDINGS, SecretsConfigError, secretHint, StoredSecretError } from "../auth/secrets";
import { outboundUrlPolicy } from "../auth/url-safety";
import type { Env } from "../env";
import {
  deleteAlertChannel,
  getAlertChannel,
  insertAlertChannel,
  listAlertChannels,
  rotateAlertChannelSecret,
  toChannelSummary,
  updateAlertChannel,
  type AlertChannelRow,
} from "../ledger/alerts-channels";
import { getDelivery, listDeliveries, redeliver } from "../ledger/alerts-deliveries";
import { deleteAlertRule, getAlertRule, insertAlertRule, listAlertRules, missingConnectionIds, updateAlertRule } from "../ledger/alerts-rules";
import { newId } from "../ledger/ids";
import {
  channelPageSchema,
  channelSchema,
  channelWithSecretSchema,
  createChannelBodySchema,
  createdChannelSchema,
  createRuleBodySchema,
  deliveryDetailSchema,
  deliveryListQuerySchema,
  deliveryPageSchema,
  rotateSecretBodySchema,
  ruleListQuerySchema,
  rulePageSchema,
  ruleSchema,
  testSendResultSchema,
  updateChannelBodySchema,
  updateRuleBodySchema,
  type UpdateChannelBody,
} from "../schemas/alerts";
import { decodeCursor, encodeCursor, isStringTuple1 } from "./cursor";
import { ApiError, nameTakenError, notFoundError, validationError, type FieldIssue } from "./errors";
import { outboundUrlIssues } from "./outbound-url-checks";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent, listQuerySchema } from "../schemas/common";

// Mounted at /api/alerts behind authenticate(): viewers read, operators test-send and redeliver,
// admins configure channels and rules.
export const alerts = createRouter();
const TAGS = ["Alerts"];
const DEFAULT_GRACE_HOURS = 24;
const jsonBody = <T>(schema: T) => ({ required: true, content: { "application/json": { schema } } });

const listChannelsRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  path: "/channels",
  tags: TAGS,
  summary: "List alert channels",
  description: "In creation order. Secrets are never returned; `secret_hint` shows their last characters. A channel the dispatcher disabled says why in `disabled_reason`.",
  request: { query: listQuerySchema },
  responses: { 200: jsonContent(channelPageSchema, "A page of channels."), ...errorResponses(400) },
});

const getChannelRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  path: "/channels/{id}",
  tags: TAGS,
  summary: "Get an alert channel",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(channelSchema, "The channel."), ...errorResponses(404) },
});

const createChannelRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  path: "/channels",
  tags: TAGS,
  summary: "Create an alert channel",
  description:
    "Custom webhooks get a Standard Webhooks signing secret (`whsec_…`), returned only in this response. " +
    "The Slack URL and PagerDuty routing key are write-only and stored encrypted.",
  request: { body: jsonBody(createChannelBodySchema) },
  responses: { 201: jsonContent(createdChannelSchema, "Created."), ...errorResponses(400, 409, 415, 503) },
});

const updateChannelRoute = createRoute({
  ...minRole("admin"),
  method: "patch",
  path: "/channels/{id}",
  tags: TAGS,
  summary: "Change an alert channel",
  description: "Only fields of the channel's kind are accepted. `enabled: true` re-enables a disabled channel and its waiting deliveries resume.",
  request: { params: idParamsSchema, body: jsonBody(updateChannelBodySchema) },
  responses: { 200: jsonContent(channelSchema, "The changed channel."), ...errorResponses(400, 404, 409, 415, 503) },
});

const deleteChannelRoute = createRoute({
  ...minRole("admin"),
  method: "delete",
  path: "/channels/{id}",
  tags: TAGS,
  summary: "Delete an alert channel",
  description: "Its rules go with it; its delivery log stays, and deliveries still waiting are marked failed.",
  request: { params: idParamsSchema },
  responses: { 204: { description: "Deleted." }, ...errorResponses(404) },
});

const testChannelRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  path: "/channels/{id}/test",
  tags: TAGS,
  summary: "Send a test message",
  description: "Sends at once (also to a disabled channel) and answers with the outcome. PagerDuty gets a trigger followed by its resolve.",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(testSendResultSchema, "What the receiver answered."), ...errorResponses(404, 503) },
});

const rotateSecretRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  path: "/channels/{id}/rotate-secret",
  tags: TAGS,
  summary: "Rotate a webhook's signing secret",
  description:
    "Returns the new `whsec_` secret once. During the grace period every request carries two signatures " +
    "(new and old, space-separated in `webhook-signature`), so receivers can switch without losing a message.",
  request: { params: idParamsSchema, body: { required: false, content: { "application/json": { schema: rotateSecretBodySchema } } } },
  responses: { 200: jsonContent(channelWithSecretSchema, "The channel and its new secret."), ...errorResponses(400, 404, 409, 503) },
});

const listRulesRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  path: "/rules",
  tags: TAGS,
  summary: "List alert rules",
  request: { query: ruleListQuerySchema },
  responses: { 200: jsonContent(rulePageSchema, "A page of rules."), ...errorResponses(400) },
});

const getRuleRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  path: "/rules/{id}",
  tags: TAGS,
  summary: "Get an alert rule",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(ruleSchema, "The rule."), ...errorResponses(404) },
});

const createRuleRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  path: "/rules",
  tags: TAGS,
  summary: "Create an alert rule",
  description:
    "Alerts the channel when a connection (all, or the ones listed) has failed `failure_threshold` jobs in a row, " +
    "and sends a recovery notice when it next completes. Set 2 to page only when a failure repeats.",
  request: { body: jsonBody(createRuleBodySchema) },
  responses: { 201: jsonContent(ruleSchema, "Created."), ...errorResponses(400, 415) },
});

const updateRuleRoute = createRoute({
  ...minRole("admin"),
  method: "patch",
  path: "/rules/{id}",
  tags: TAGS,
  summary: "Change an alert rule",
  request: { params: idParamsSchema, body: jsonBody(updateRuleBodySchema) },
  responses: { 200: jsonContent(ruleSchema, "The changed rule."), ...errorResponses(400, 404, 415) },
});

const deleteRuleRoute = createRoute({
  ...minRole("admin"),
  method: "delete",
  path: "/rules/{id}",
  tags: TAGS,
  summary: "Delete an alert rule",
  request: { params: idParamsSchema },
  responses: { 204: { description: "Deleted." }, ...errorResponses(404) },
});

const listDeliveriesRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  path: "/deliveries",
  tags: TAGS,
  summary: "The delivery log",
  description: "Newest first, each delivery with every attempt (status code, duration, response excerpt, error).",
  request: { query: deliveryListQuerySchema },
  responses: { 200: jsonContent(deliveryPageSchema, "A page of deliveries."), ...errorResponses(400) },
});

const getDeliveryRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  path: "/deliveries/{id}",
  tags: TAGS,
  summary: "Get a delivery with its attempts and payload",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(deliveryDetailSchema, "The delivery."), ...errorResponses(404) },
});

const redeliverRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  path: "/deliveries/{id}/redeliver",
  tags: TAGS,
  summary: "Redeliver",
  description: "Sends the same body again under the same `webhook-id`, with a fresh retry schedule. Refused with 409 while the channel is disabled.",
  request: { params: idParamsSchema },
  responses: { 202: jsonContent(deliveryDetailSchema, "Queued; the dispatcher sends it now."), ...errorResponses(404, 409) },
});

alerts.openapi(listChannelsRoute, async (c) => {
  const { cursor, limit } = c.req.valid("query");
  const after = decodeCursor(cursor, isStringTuple1);
  const { rows, hasMore } = await listAlertChannels(c.env.LEDGER, { afterId: after?.[0] ?? null, limit });
  const now = Date.now();
  const last = rows.at(-1);
  return c.json({ data: rows.map((row) => toChannelSummary(row, now)), next_cursor: hasMore && last ? encodeCursor([last.id]) : null }, 200);
});

alerts.openapi(getChannelRoute, async (c) => {
  const row = await requireChannel(c.env, c.req.valid("param").id);
  return c.json(toChannelSummary(row, Date.now()), 200);
});

alerts.openapi(createChannelRoute, async (c) => {
  const body = c.req.valid("json");
  const env = c.env;
  let config: ChannelConfig["config"];
  let secret: string | null = null;
  switch (body.kind) {
    case "webhook": {
      checkUrls(env, [["url", body.url]]);
      const connectionIds = body.connection_ids ?? null;
      await requireConnections(env, connectionIds);
      config = { url: body.url, event_types: body.event_types ?? null, connection_ids: connectionIds };
      secret = generateWebhookSecret();
      break;
    }
    case "slack":
      checkUrls(env, [["webhook_url", body.webhook_url]]);
      config = {};
      secret = body.webhook_url;
      break;
    case "pagerduty": {
      const eventsUrl = body.events_url ?? PAGERDUTY_EVENTS_URL;
      checkUrls(env, [["events_url", eventsUrl]]);
      config = { events_url: eventsUrl, severity: body.severity ?? "error" };
      secret = body.routing_key;
      break;
    }
    case "email":
      config = { from: body.from, from_name: body.from_name ?? DEFAULT_EMAIL_FROM_NAME, to: body.to };
      break;
  }
  const now = Date.now();
  const id = newId("chan", now);
  const outcome = await insertAlertChannel(
    env.LEDGER,
    id,
    { name: body.name, kind: body.kind, config, secret: secret === null ? null : await seal(env, id, secret), enabled: body.enabled ?? true },
    now,
  );
  if (outcome.status !== "ok") throw nameTaken(body.name);
  const summary = toChannelSummary(outcome.row, now);
  return c.json(body.kind === "webhook" && secret !== null ? { ...summary, secret } : summary, 201);
});

alerts.openapi(updateChannelRoute, async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const env = c.env;
  const row = await requireChannel(env, id);
  const current = toChannelSummary(row, Date.now());
  const misplaced = misplacedFields(row.kind, body);
  if (misplaced.length > 0) throw validationError(misplaced);

  let config: ChannelConfig["config"];
  let secret: string | undefined;
  switch (row.kind) {
    case "webhook": {
      const url = body.url ?? current.config.url ?? "";
      if (body.url !== undefined) checkUrls(env, [["url", url]]);
      if (body.connection_ids !== undefined) await requireConnections(env, body.connection_ids);
      config = {
        url,
        event_types: body.event_types !== undefined ? body.event_types : (current.config.event_types ?? null),
        connection_ids: body.connection_ids !== undefined ? body.connection_ids : (current.config.connection_ids ?? null),
      };
      break;
    }
    case "slack":
      if (body.webhook_url !== undefined) checkUrls(env, [["webhook_url", body.webhook_url]]);
      config = {};
      secret = body.webhook_url;
      break;
    case "pagerduty": {
      const eventsUrl = body.events_url ?? current.config.events_url ?? PAGERDUTY_EVENTS_URL;
      if (body.events_url !== undefined) checkUrls(env, [["events_url", eventsUrl]]);
      config = { events_url: eventsUrl, severity: body.severity ?? current.config.severity ?? "error" };
      secret = body.routing_key;
      break;
    }
    case "email":
      config = {
        from: body.from ?? current.config.from ?? "",
        from_name: body.from_name ?? current.config.from_name ?? DEFAULT_EMAIL_FROM_NAME,
        to: body.to ?? current.config.to ?? [],
      };
      break;
  }
  const now = Date.now();
  const enabled = body.enabled ?? row.enabled === 1;
  const outcome = await updateAlertChannel(
    env.LEDGER,
    id,
    { name: body.name ?? row.name, config, enabled, ...(secret === undefined ? {} : { secret: await seal(env, id, secret) }) },
    now,
  );
  if (outcome.status === "not_found") throw notFound("alert channel", id);
  if (outcome.status === "name_taken") throw nameTaken(body.name ?? row.name);
  // Deliveries that waited while the channel was off go out now.
  if (enabled && row.enabled === 0) await pokeAlertDispatcher(env);
  return c.json(toChannelSummary(outcome.row, now), 200);
});

alerts.openapi(deleteChannelRoute, async (c) => {
  const { id } = c.req.valid("param");
  if (!(await deleteAlertChannel(c.env.LEDGER, id, Date.now()))) throw notFound("alert channel", id);
  return c.body(null, 204);
});

alerts.openapi(testChannelRoute, async (c) => {
  const row = await requireChannel(c.env, c.req.valid("param").id);
  let result: Awaited<ReturnType<typeof sendTestMessage>>;
  try {
    result = await sendTestMessage(c.env, row, Date.now());
  } catch (err) {
    // A configuration the dispatcher could not use either: the operator sees why, as a failed send.
    if (!(err instanceof ChannelUnusableError)) throw err;
    result = { ok: false, attempts: [{ attemptedAt: Date.now(), statusCode: null, durationMs: 0, responseExcerpt: null, error: err.message, retryAfterMs: null }] };
  }
  return c.json(
    {
      ok: result.ok,
      channel_id: row.id,
      attempts: result.attempts.map((a) => ({
        attempted_at: new Date(a.attemptedAt).toISOString(),
        status_code: a.statusCode,
        duration_ms: Math.round(a.durationMs),
        response_excerpt: a.responseExcerpt,
        error: a.error,
      })),
    },
    200,
  );
});

alerts.openapi(rotateSecretRoute, async (c) => {
  const { id } = c.req.valid("param");
  const env = c.env;
  // The body is optional: without one the validator passes nothing and the default grace applies.
  const graceHours = (c.req.valid("json") as { grace_hours?: number } | undefined)?.grace_hours ?? DEFAULT_GRACE_HOURS;
  const row = await requireChannel(env, id);
  if (row.kind !== "webhook") {
    throw new ApiError(409, "no_signing_secret", `A ${row.kind} channel has no signing secret; replace its ${row.kind === "slack" ? "webhook_url" : row.kind === "pagerduty" ? "routing_key" : "settings"} with PATCH.`, { meta: { kind: row.kind } });
  }
  const secret = generateWebhookSecret();
  const now = Date.now();
  const previousCiphertext = graceHours > 0 && row.secret_ciphertext !== null ? await resealAsPrevious(env, id, row.secret_ciphertext) : null;
  const keepPrevious = previousCiphertext !== null;
  const updated = await rotateAlertChannelSecret(
    env.LEDGER,
    id,
    {
      ...(await seal(env, id, secret)),
      previousCiphertext,
      previousExpiresAt: keepPrevious ? now + graceHours * 3_600_000 : null,
    },
    now,
  );
  if (!updated) throw notFound("alert channel", id);
  return c.json({ ...toChannelSummary(updated, now), secret }, 200);
});

alerts.openapi(listRulesRoute, async (c) => {
  const { cursor, limit, channel_id: channelId } = c.req.valid("query");
  const after = decodeCursor(cursor, isStringTuple1);
  const { data, hasMore } = await listAlertRules(c.env.LEDGER, { channelId: channelId ?? null, afterId: after?.[0] ?? null, limit });
  const last = data.at(-1);
  return c.json({ data, next_cursor: hasMore && last ? encodeCursor([last.id]) : null }, 200);
});

alerts.openapi(getRuleRoute, async (c) => {
  const { id } = c.req.valid("param");
  const rule = await getAlertRule(c.env.LEDGER, id);
  if (!rule) throw notFound("alert rule", id);
  return c.json(rule, 200);
});

alerts.openapi(createRuleRoute, async (c) => {
  const body = c.req.valid("json");
  const issues: FieldIssue[] = [];
  if ((await getAlertChannel(c.env.LEDGER, body.channel_id)) === null) {
    issues.push({ path: "channel_id", message: `no alert channel with id "${body.channel_id}"`, in: "body" });
  }
  issues.push(...(await connectionIssues(c.env, body.connection_ids)));
  if (issues.length > 0) throw validationError(issues);
  const now = Date.now();
  const rule = await insertAlertRule(
    c.env.LEDGER,
    newId("rule", now),
    { channelId: body.channel_id, connectionIds: body.connection_ids, failureThreshold: body.failure_threshold, notifyRecovery: body.notify_recovery, enabled: body.enabled },
    now,
  );
  return c.json(rule, 201);
});

alerts.openapi(updateRuleRoute, async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const current = await getAlertRule(c.env.LEDGER, id);
  if (!current) throw notFound("alert rule", id);
  if (body.connection_ids !== undefined) await requireConnections(c.env, body.connection_ids);
  const rule = await updateAlertRule(
    c.env.LEDGER,
    id,
    {
      connectionIds: body.connection_ids !== undefined ? body.connection_ids : current.connection_ids,
      failureThreshold: body.failure_threshold ?? current.failure_threshold,
      notifyRecovery: body.notify_recovery ?? current.notify_recovery,
      enabled: body.enabled ?? current.enabled,
    },
    Date.now(),
  );
  if (!rule) throw notFound("alert rule", id);
  return c.json(rule, 200);
});

alerts.openapi(deleteRuleRoute, async (c) => {
  const { id } = c.req.valid("param");
  if (!(await deleteAlertRule(c.env.LEDGER, id))) throw notFound("alert rule", id);
  return c.body(null, 204);
});

alerts.openapi(listDeliveriesRoute, async (c) => {
  const query = c.req.valid("query");
  const before = decodeCursor(query.cursor, isStringTuple1);
  const { data, hasMore } = await listDeliveries(
    c.env.LEDGER,
    {
      ...(query.channel_id !== undefined ? { channelId: query.channel_id } : {}),
      ...(query.status !== undefined ? { status: query.status } : {}),
      ...(query.event_type !== undefined ? { eventType: query.event_type } : {}),
      ...(query.run_id !== undefined ? { runId: query.run_id } : {}),
    },
    { beforeId: before?.[0] ?? null, limit: query.limit },
  );
  const last = data.at(-1);
  return c.json({ data, next_cursor: hasMore && last ? encodeCursor([last.id]) : null }, 200);
});

alerts.openapi(getDeliveryRoute, async (c) => {
  const { id } = c.req.valid("param");
  const delivery = await getDelivery(c.env.LEDGER, id);
  if (!delivery) throw notFound("delivery", id);
  return c.json(delivery, 200);
});

alerts.openapi(redeliverRoute, async (c) => {
  const { id } = c.req.valid("param");
  const outcome = await redeliver(c.env.LEDGER, id, Date.now());
  switch (outcome.status) {
    case "not_found":
      throw notFound("delivery", id);
    case "channel_unavailable":
      throw new ApiError(409, "channel_disabled", "The delivery's channel is disabled or deleted; enable the channel first, then redeliver.");
    case "queued":
      await pokeAlertDispatcher(c.env);
      return c.json(outcome.delivery, 202);
  }
});

// Fields that belong to another kind of channel are named, not silently ignored.
const FIELDS_BY_KIND: Record<ChannelKind, ReadonlyArray<keyof UpdateChannelBody>> = {
  webhook: ["url", "event_types", "connection_ids"],
  slack: ["webhook_url"],
  pagerduty: ["routing_key", "events_url", "severity"],
  email: ["to", "from", "from_name"],
};
const COMMON_FIELDS: ReadonlyArray<keyof UpdateChannelBody> = ["name", "enabled"];

function misplacedFields(kind: ChannelKind, body: UpdateChannelBody): FieldIssue[] {
  const allowed = new Set([...COMMON_FIELDS, ...FIELDS_BY_KIND[kind]]);
  return (Object.keys(body) as Array<keyof UpdateChannelBody>)
    .filter((field) => body[field] !== undefined && !allowed.has(field))
    .map((field) => ({ path: field, message: `does not apply to a ${kind} channel`, in: "body" }));
}

async function requireConnections(env: Env, ids: string[] | null): Promise<void> {
  const issues = await connectionIssues(env, ids);
  if (issues.length > 0) throw validationError(issues);
}

async function connectionIssues(env: Env, ids: string[] | null): Promise<FieldIssue[]> {
  if (ids === null) return [];
  const missing = new Set(await missingConnectionIds(env.LEDGER, ids));
  return ids.flatMap((id, index) => (missing.has(id) ? [{ path: `connection_ids[${index}]`, message: `no connection with id "${id}"`, in: "body" as const }] : []));
}

function checkUrls(env: Env, urls: Array<[field: string, url: string]>): void {
  const issues = outboundUrlIssues(urls, outboundUrlPolicy(env));
  if (issues.length > 0) throw validationError(issues);
}

async function requireChannel(env: Env, id: string): Promise<AlertChannelRow> {
  const row = await getAlertChannel(env.LEDGER, id);
  if (!row) throw notFound("alert channel", id);
  return row;
}

async function seal(env: Env, channelId: string, secret: string) {
  return { ciphertext: await encryptSecret(env, secret, SECRET_BINDINGS.alertChannel(channelId)), hint: secretHint(secret) };
}

// Each field has its own binding, so the outgoing secret is sealed again for the previous-secret field.
// One that cannot be opened any more signs nothing: the rotation then keeps no previous secret.
async function resealAsPrevious(env: Env, channelId: string, ciphertext: string): Promise<string | null> {
  let plaintext: string;
  try {
    plaintext = await decryptSecret(env, ciphertext, SECRET_BINDINGS.alertChannel(channelId));
  } catch (error) {
    if (error instanceof StoredSecretError || (error instanceof SecretsConfigError && error.code === "secrets_key_mismatch")) return null;
    throw error;
  }
  return encryptSecret(env, plaintext, SECRET_BINDINGS.alertChannelPrevious(channelId));
}

function notFound(what: string, id: string): ApiError {
  return notFoundError(what, id);
}

function nameTaken(name: string): ApiError {
  return nameTakenError(`An alert channel named "${name}" already exists.`);
}
