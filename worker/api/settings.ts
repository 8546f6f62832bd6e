import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { encryptSecret, SECRET_BINDINGS, secretHint } from "../auth/secrets";
import { outboundUrlPolicy } from "../auth/url-safety";
import { readConfigSettings, toSettingsResponse, writeConfigSettings, type StoredLogExport } from "../ledger/config-settings";
import { forgetTelemetryConfig } from "../observability/otlp-exporter";
import { sealTelemetry } from "./telemetry-setting";
import { readHeartbeat, sealHeartbeatUrl, toHeartbeatSetting, writeHeartbeatUrl } from "../ledger/heartbeat-url";
import { validationError } from "./errors";
import { outboundUrlIssues } from "./outbound-url-checks";
import { createRouter } from "./router";
import { errorResponses, jsonContent } from "../schemas/common";
import { settingsSchema, updateSettingsBodySchema, type Settings } from "../schemas/settings";

export const settings = createRouter();
const TAGS = ["Settings"];

const getRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getSettings",
  path: "/",
  tags: TAGS,
  summary: "Retention plan, log export, request log, plan expiry, auto-pause, the heartbeat URL and telemetry export",
  responses: { 200: jsonContent(settingsSchema, "The settings in effect."), ...errorResponses() },
});

const putRoute = createRoute({
  ...minRole("admin"),
  method: "put",
  operationId: "updateSettings",
  path: "/",
  tags: TAGS,
  summary: "Change the retention plan, log export, request log, plan expiry, auto-pause, the heartbeat URL or telemetry export",
  description:
    "Each given section replaces the stored one. An S3 secret access key is write-only and kept when left out. " +
    "A heartbeat URL is checked against the outbound URL rules; a new one starts with no last call. " +
    "A telemetry endpoint is checked against the outbound URL rules too; its header values are write-only, a header given without a value keeps the stored one.",
  request: { body: { required: true, content: { "application/json": { schema: updateSettingsBodySchema } } } },
  responses: { 200: jsonContent(settingsSchema, "The settings now in effect."), ...errorResponses(400, 415, 503) },
});

async function settingsBody(db: D1Database): Promise<Settings> {
  const [config, heartbeat] = await Promise.all([readConfigSettings(db), readHeartbeat(db)]);
  return { ...toSettingsResponse(config), heartbeat: toHeartbeatSetting(heartbeat) };
}

settings.openapi(getRoute, async (c) => c.json(await settingsBody(c.env.LEDGER), 200));

settings.openapi(putRoute, async (c) => {
  const body = c.req.valid("json");
  // Checked before anything is written, so a refused heartbeat URL changes no other section either.
  const heartbeatUrl = body.heartbeat?.url ?? null;
  if (heartbeatUrl !== null) {
    const issues = outboundUrlIssues([["heartbeat.url", heartbeatUrl]], outboundUrlPolicy(c.env));
    if (issues.length > 0) throw validationError(issues);
  }
  const current = await readConfigSettings(c.env.LEDGER);
  let logExport: StoredLogExport | undefined;
  const input = body.log_export;
  if (input?.target === "s3") {
    const issues = outboundUrlIssues([["log_export.endpoint", input.endpoint]], outboundUrlPolicy(c.env));
    if (issues.length > 0) throw validationError(issues);
    const { secret_access_key: secret, ...rest } = input;
    let sealed: { secret_ciphertext: string; secret_hint: string };
    if (secret !== undefined) {
      sealed = { secret_ciphertext: await encryptSecret(c.env, secret, SECRET_BINDINGS.logExport()), secret_hint: secretHint(secret) };
    } else if (current.logExport.target === "s3") {
      sealed = { secret_ciphertext: current.logExport.secret_ciphertext, secret_hint: current.logExport.secret_hint };
    } else {
      throw validationError([{ path: "log_export.secret_access_key", message: "required when setting up S3 export", in: "body" }]);
    }
    logExport = { ...rest, ...sealed };
  } else if (input) {
    logExport = input;
  }
  const telemetry = body.telemetry ? await sealTelemetry(c.env, body.telemetry, current.telemetry) : undefined;
  await writeConfigSettings(
    c.env.LEDGER,
    {
      ...(body.retention ? { retention: body.retention } : {}),
      ...(logExport ? { logExport } : {}),
      ...(body.request_log ? { requestLog: body.request_log } : {}),
      ...(body.plans ? { plans: body.plans } : {}),
      ...(body.connections ? { connections: body.connections } : {}),
      ...(telemetry ? { telemetry } : {}),
    },
    Date.now(),
  );
  // This isolate exports with the new setting at once; others within the exporter's cache time.
  if (telemetry) forgetTelemetryConfig();
  if (body.heartbeat) {
    await writeHeartbeatUrl(c.env.LEDGER, heartbeatUrl === null ? null : await sealHeartbeatUrl(c.env, heartbeatUrl), Date.now());
  }
  return c.json(await settingsBody(c.env.LEDGER), 200);
});
