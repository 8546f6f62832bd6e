import { createRoute } from "@hono/zod-openapi";
import { buildChannelConfig, parseChannelConfig } from "../alerts/channel-config";
import { CHANNEL_KIND_REGISTRY, channelFields, generatesSecret, secretFieldOf, type ChannelKindEntry } from "../alerts/channel-kinds";
import { wakeSender } from "../alerts/alert-queue";
import { generateWebhookSecret } from "../alerts/signing";
import { testChannel, testOutcome } from "../alerts/test-send";
import type { ChannelKind } from "../alerts/vocabulary";
import { minRole } from "../auth/middleware";
import { decryptSecret, encryptSecret, SECRET_BINDINGS, SecretsConfigError, secretHint, StoredSecretError } from "../auth/secrets";
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
  type ChannelTestSchedule,
} from "../ledger/alerts-channels";
import { recordChannelTests } from "../ledger/alerts-channel-tests";
import { newId } from "../ledger/ids";
import { nextFireAfter } from "../schedule/next-fire";
import { ALERT_TAGS, checkUrls, jsonBody, requireConnections } from "./alert-checks";
import {
  channelPageSchema,
  channelSchema,
  channelWithSecretSchema,
  createChannelBodySchema,
  createdChannelSchema,
  rotateSecretBodySchema,
  testSendResultSchema,
  updateChannelBodySchema,
  type UpdateChannelBody,
} from "../schemas/alerts";
import { decodeCursor, encodeCursor, isStringTuple1 } from "./cursor";
import { ApiError, nameTakenError, notFoundError, validationError, type FieldIssue } from "./errors";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent, listQuerySchema } from "../schemas/common";

// Alert channels under /api/alerts: viewers read them, operators test-send, admins configure them. What
// differs per kind (fields, config, the secret, URL and connection checks) comes from the channel-kind
// registry, so create, update and rotate have no per-kind code.
export const alertChannels = createRouter();
const DEFAULT_GRACE_HOURS = 24;

const listChannelsRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listAlertChannels",
  path: "/channels",
  tags: ALERT_TAGS,
  summary: "List alert channels",
  description:
    "In creation order. Secrets are never returned; `secret_hint` shows their last characters. A channel the dispatcher disabled says why in `disabled_reason`.",
  request: { query: listQuerySchema },
  responses: { 200: jsonContent(channelPageSchema, "A page of channels."), ...errorResponses(400) },
});

const getChannelRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getAlertChannel",
  path: "/channels/{id}",
  tags: ALERT_TAGS,
  summary: "Get an alert channel",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(channelSchema, "The channel."), ...errorResponses(404) },
});

const createChannelRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "createAlertChannel",
  path: "/channels",
  tags: ALERT_TAGS,
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
  operationId: "updateAlertChannel",
  path: "/channels/{id}",
  tags: ALERT_TAGS,
  summary: "Change an alert channel",
  description: "Only fields of the channel's kind are accepted. `enabled: true` re-enables a disabled channel and its waiting deliveries resume.",
  request: { params: idParamsSchema, body: jsonBody(updateChannelBodySchema) },
  responses: { 200: jsonContent(channelSchema, "The changed channel."), ...errorResponses(400, 404, 409, 415, 503) },
});

const deleteChannelRoute = createRoute({
  ...minRole("admin"),
  method: "delete",
  operationId: "deleteAlertChannel",
  path: "/channels/{id}",
  tags: ALERT_TAGS,
  summary: "Delete an alert channel",
  description: "Its rules go with it; its delivery log stays, and deliveries still waiting are marked failed.",
  request: { params: idParamsSchema },
  responses: { 204: { description: "Deleted." }, ...errorResponses(404) },
});

const testChannelRoute = createRoute({
  ...minRole("operator"),
  method: "post",
  operationId: "testAlertChannel",
  path: "/channels/{id}/test",
  tags: ALERT_TAGS,
  summary: "Send a test message",
  description: "Sends at once (also to a disabled channel) and answers with the outcome. PagerDuty gets a trigger followed by its resolve.",
  request: { params: idParamsSchema },
  responses: { 200: jsonContent(testSendResultSchema, "What the receiver answered."), ...errorResponses(404, 503) },
});

const rotateSecretRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "rotateAlertChannelSecret",
  path: "/channels/{id}/rotate-secret",
  tags: ALERT_TAGS,
  summary: "Rotate a webhook's signing secret",
  description:
    "Returns the new `whsec_` secret once. During the grace period every request carries two signatures " +
    "(new and old, space-separated in `webhook-signature`), so receivers can switch without losing a message.",
  request: { params: idParamsSchema, body: { required: false, content: { "application/json": { schema: rotateSecretBodySchema } } } },
  responses: { 200: jsonContent(channelWithSecretSchema, "The channel and its new secret."), ...errorResponses(400, 404, 409, 503) },
});

alertChannels.openapi(listChannelsRoute, async (c) => {
  const { cursor, limit } = c.req.valid("query");
  const after = decodeCursor(cursor, isStringTuple1);
  const { rows, hasMore } = await listAlertChannels(c.env.LEDGER, { afterId: after?.[0] ?? null, limit });
  const now = Date.now();
  const last = rows.at(-1);
  return c.json({ data: rows.map((row) => toChannelSummary(row, now)), next_cursor: hasMore && last ? encodeCursor([last.id]) : null }, 200);
});

alertChannels.openapi(getChannelRoute, async (c) => {
  const row = await requireChannel(c.env, c.req.valid("param").id);
  return c.json(toChannelSummary(row, Date.now()), 200);
});

alertChannels.openapi(createChannelRoute, async (c) => {
  const body = c.req.valid("json");
  const env = c.env;
  const { kind, name, enabled, test_schedule: testSchedule, ...given } = body;
  const fields: Readonly<Record<string, unknown>> = given;
  const config = buildChannelConfig(kind, null, fields);
  // A URL left out takes its default, which is checked like a given one.
  await checkKindFields(env, kind, { ...fields, ...config });
  const secretField = secretFieldOf(kind);
  const secret = generatesSecret(kind) ? generateWebhookSecret() : secretField === null ? null : String(fields[secretField]);
  const now = Date.now();
  const id = newId("chan", now);
  const outcome = await insertAlertChannel(
    env.LEDGER,
    id,
    {
      name,
      kind,
      config,
      secret: secret === null ? null : await seal(env, id, secret),
      enabled: enabled ?? true,
      testSchedule: testScheduleFrom(testSchedule ?? null, now),
    },
    now,
  );
  if (outcome.status !== "ok") throw nameTaken(name);
  const summary = toChannelSummary(outcome.row, now);
  // A generated secret is shown this once; one the admin gave is never returned.
  return c.json(generatesSecret(kind) && secret !== null ? { ...summary, secret } : summary, 201);
});

alertChannels.openapi(updateChannelRoute, async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const env = c.env;
  const row = await requireChannel(env, id);
  const misplaced = misplacedFields(row.kind, body);
  if (misplaced.length > 0) throw validationError(misplaced);

  const { name, enabled: enabledField, test_schedule: testSchedule, ...given } = body;
  const fields: Readonly<Record<string, unknown>> = given;
  await checkKindFields(env, row.kind, fields);
  const config = buildChannelConfig(row.kind, parseChannelConfig(row.kind, row.config_json).config, fields);
  const secretField = secretFieldOf(row.kind);
  const secret = secretField === null ? undefined : (fields[secretField] as string | undefined);
  const now = Date.now();
  const enabled = enabledField ?? row.enabled === 1;
  const outcome = await updateAlertChannel(
    env.LEDGER,
    id,
    {
      name: name ?? row.name,
      config,
      enabled,
      ...(secret === undefined ? {} : { secret: await seal(env, id, secret) }),
      ...(testSchedule === undefined ? {} : { testSchedule: testScheduleFrom(testSchedule, now) }),
    },
    now,
  );
  if (outcome.status === "not_found") throw notFoundError("alert channel", id);
  if (outcome.status === "name_taken") throw nameTaken(name ?? row.name);
  // Deliveries that waited while the channel was off go out now.
  if (enabled && row.enabled === 0) await wakeSender(env, id);
  return c.json(toChannelSummary(outcome.row, now), 200);
});

alertChannels.openapi(deleteChannelRoute, async (c) => {
  const { id } = c.req.valid("param");
  if (!(await deleteAlertChannel(c.env.LEDGER, id, Date.now()))) throw notFoundError("alert channel", id);
  return c.body(null, 204);
});

alertChannels.openapi(testChannelRoute, async (c) => {
  const row = await requireChannel(c.env, c.req.valid("param").id);
  const result = await testChannel(c.env, row, Date.now());
  await recordChannelTests(c.env.LEDGER, [testOutcome(row.id, result, "manual")]);
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

alertChannels.openapi(rotateSecretRoute, async (c) => {
  const { id } = c.req.valid("param");
  const env = c.env;
  // The body is optional: without one the validator passes nothing and the default grace applies.
  const graceHours = (c.req.valid("json") as { grace_hours?: number } | undefined)?.grace_hours ?? DEFAULT_GRACE_HOURS;
  const row = await requireChannel(env, id);
  if (!generatesSecret(row.kind)) {
    throw new ApiError(
      409,
      "no_signing_secret",
      `A ${row.kind} channel has no signing secret; replace its ${secretFieldOf(row.kind) ?? "settings"} with PATCH.`,
      { meta: { kind: row.kind } },
    );
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
  if (!updated) throw notFoundError("alert channel", id);
  return c.json({ ...toChannelSummary(updated, now), secret }, 200);
});

// Fields that belong to another kind of channel are named, not silently ignored.
const COMMON_FIELDS: ReadonlyArray<string> = ["name", "enabled", "test_schedule"];

// The first test is due at the schedule's next fire after the change, never at once.
function testScheduleFrom(schedule: string | null, now: number): ChannelTestSchedule {
  return { schedule, nextAt: schedule === null ? null : nextFireAfter(schedule, now) };
}

function misplacedFields(kind: ChannelKind, body: UpdateChannelBody): FieldIssue[] {
  const allowed = new Set([...COMMON_FIELDS, ...channelFields(kind)]);
  return (Object.keys(body) as Array<keyof UpdateChannelBody>)
    .filter((field) => body[field] !== undefined && !allowed.has(field))
    .map((field) => ({ path: field, message: `does not apply to a ${kind} channel`, in: "body" }));
}

// The kind's outbound URLs against the deployment's policy, then its connection scope; fields absent from
// `fields` are not checked.
async function checkKindFields(env: Env, kind: ChannelKind, fields: Readonly<Record<string, unknown>>): Promise<void> {
  const entry: ChannelKindEntry = CHANNEL_KIND_REGISTRY[kind];
  checkUrls(
    env,
    entry.outboundUrls.flatMap((field): Array<[string, string]> => {
      const url = fields[field];
      return typeof url === "string" ? [[field, url]] : [];
    }),
  );
  const scope = entry.connectionScope === null ? undefined : fields[entry.connectionScope];
  if (scope !== undefined) await requireConnections(env, scope as string[] | null);
}

async function requireChannel(env: Env, id: string): Promise<AlertChannelRow> {
  const row = await getAlertChannel(env.LEDGER, id);
  if (!row) throw notFoundError("alert channel", id);
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

function nameTaken(name: string): ApiError {
  return nameTakenError(`An alert channel named "${name}" already exists.`);
}
