import { z } from "@hono/zod-openapi";
import { timestampSchema } from "./common";
import { requestLogSettingSchema } from "./requests";

export const RETENTION_PLANS = ["professional", "enterprise", "custom"] as const;
export type RetentionPlan = (typeof RETENTION_PLANS)[number];
export const PLAN_DAYS: Record<Exclude<RetentionPlan, "custom">, number> = { professional: 30, enterprise: 90 };

export const retentionSchema = z
  .strictObject({
    plan: z.enum(RETENTION_PLANS).openapi({ description: "professional: 30 days; enterprise: 90 days; custom: custom_days." }),
    custom_days: z.number().int().min(1).max(3650).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.plan === "custom" && value.custom_days === undefined) {
      ctx.addIssue({ code: "custom", path: ["custom_days"], message: "the custom plan needs custom_days (1–3650)" });
    }
    if (value.plan !== "custom" && value.custom_days !== undefined) {
      ctx.addIssue({ code: "custom", path: ["custom_days"], message: `custom_days applies only to the custom plan, not ${value.plan}` });
    }
  })
  .openapi("RetentionSetting");
export type RetentionSetting = z.output<typeof retentionSchema>;

const prefixSchema = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9!_.*'()/-]*$/, "use letters, digits and !_.*'()/- only")
  .default("outbound-sync/")
  .openapi({ description: "Object key prefix; each day is written as <prefix>YYYY-MM-DD/....ndjson.gz." });

export const logExportInputSchema = z
  .discriminatedUnion("target", [
    z.strictObject({ target: z.literal("none") }),
    z.strictObject({
      target: z.literal("r2"),
      bucket_binding: z
        .string()
        .regex(/^[A-Z][A-Z0-9_]{0,62}$/, "must be the SCREAMING_CASE name of an R2 binding in wrangler.toml")
        .openapi({ example: "LOG_ARCHIVE" }),
      prefix: prefixSchema,
    }),
    z.strictObject({
      target: z.literal("s3"),
      endpoint: z.string().min(1).max(500).openapi({ example: "https://s3.eu-west-1.amazonaws.com" }),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "is not a valid bucket name (3–63 lowercase letters, digits, dots, hyphens)"),
      region: z
        .string()
        .regex(/^[a-z0-9-]{1,40}$/, "is not a region name")
        .default("auto"),
      prefix: prefixSchema,
      access_key_id: z.string().min(1).max(200),
      secret_access_key: z.string().min(1).max(500).optional().openapi({
        writeOnly: true,
        description: "Write-only; stored encrypted. May be left out to keep the stored one.",
      }),
    }),
  ])
  .openapi("LogExportSettingInput");
export type LogExportInput = z.output<typeof logExportInputSchema>;

export const DEFAULT_PLAN_TTL_HOURS = 24;

export const plansSettingSchema = z
  .strictObject({
    ttl_hours: z.number().int().min(1).max(720).openapi({ description: "How long a finished dry run can be applied (POST /api/runs/{id}/apply)." }),
  })
  .openapi("PlansSetting");
export type PlansSetting = z.output<typeof plansSettingSchema>;

export const heartbeatInputSchema = z
  .strictObject({
    url: z.string().trim().min(1).max(2000).nullable().openapi({
      description:
        "Called with a GET on every minute tick, so an outside monitor (a dead man's switch) notices when the scheduler stops. https (plain http only to loopback in development); null turns it off.",
      example: "https://hc-ping.com/your-check-uuid",
    }),
  })
  .openapi("HeartbeatSettingInput");
export const connectionsSettingSchema = z
  .strictObject({
    pause_after_failed_runs: z.number().int().min(0).max(1000).openapi({
      description: "Pause a connection after this many failed jobs in a row (a warning comes one failure before); 0 never pauses. Default 10.",
    }),
  })
  .openapi("ConnectionsSetting");
export type ConnectionsSetting = z.output<typeof connectionsSettingSchema>;

export const DEFAULT_SERVICE_NAME = "outbound-sync";
// An HTTP header name (RFC 9110 token); the exporter sets content-type itself.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;

export const telemetryInputSchema = z
  .strictObject({
    endpoint: z.string().trim().min(1).max(2000).nullable().openapi({
      description:
        "Base URL of an OTLP/HTTP receiver (a collector, Honeycomb, Grafana Cloud, Datadog); traces go to <endpoint>/v1/traces and metrics to <endpoint>/v1/metrics as JSON. Checked against the outbound URL rules; null turns export off.",
      example: "https://api.honeycomb.io",
    }),
    headers: z
      .array(
        z.strictObject({
          name: z
            .string()
            .regex(HEADER_NAME, "is not an HTTP header name")
            .refine((name) => !["content-type", "content-length", "host"].includes(name.toLowerCase()), "is set by the exporter"),
          value: z.string().min(1).max(4000).optional().openapi({
            writeOnly: true,
            description: "Write-only; stored encrypted. May be left out to keep the stored value of a header of this name.",
          }),
        }),
      )
      .max(20)
      .optional()
      .openapi({ description: "Headers sent with every export (an API key, say); the list replaces the stored one. Left out: kept." }),
    service_name: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: `service.name of the exported resource; default ${DEFAULT_SERVICE_NAME}.` }),
  })
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    for (const [index, header] of (value.headers ?? []).entries()) {
      const name = header.name.toLowerCase();
      if (seen.has(name)) ctx.addIssue({ code: "custom", path: ["headers", index, "name"], message: "is given twice" });
      seen.add(name);
    }
  })
  .openapi("TelemetrySettingInput");
export type TelemetryInput = z.output<typeof telemetryInputSchema>;

export const updateSettingsBodySchema = z
  .strictObject({
    retention: retentionSchema.optional(),
    log_export: logExportInputSchema.optional(),
    request_log: requestLogSettingSchema.optional(),
    plans: plansSettingSchema.optional(),
    heartbeat: heartbeatInputSchema.optional(),
    connections: connectionsSettingSchema.optional(),
    telemetry: telemetryInputSchema.optional(),
  })
  .refine(
    (body) => Object.values(body).some((section) => section !== undefined),
    "give retention, log_export, request_log, plans, heartbeat, connections, telemetry or several",
  )
  .openapi("UpdateSettingsRequest");
export type UpdateSettingsBody = z.output<typeof updateSettingsBodySchema>;

export const logExportSchema = z
  .discriminatedUnion("target", [
    z.object({ target: z.literal("none") }),
    z.object({ target: z.literal("r2"), bucket_binding: z.string(), prefix: z.string() }),
    z.object({
      target: z.literal("s3"),
      endpoint: z.string(),
      bucket: z.string(),
      region: z.string(),
      prefix: z.string(),
      access_key_id: z.string(),
      secret_hint: z.string().nullable().openapi({ example: "••••Q2x9" }),
    }),
  ])
  .openapi("LogExportSetting");
export type LogExportSetting = z.infer<typeof logExportSchema>;

export const settingsSchema = z
  .object({
    retention: z.object({
      plan: z.enum(RETENTION_PLANS),
      custom_days: z.number().int().nullable(),
      days: z.number().int().openapi({ description: "The window in effect: runs older than this are purged daily." }),
    }),
    log_export: logExportSchema,
    request_log: z.object({
      body_excerpt_bytes: z
        .number()
        .int()
        .openapi({ description: "Bytes of each request and response body the request log keeps (default 2048; 0 keeps none)." }),
    }),
    plans: z.object({
      ttl_hours: z
        .number()
        .int()
        .openapi({ description: `Hours a finished dry run can be applied; default ${DEFAULT_PLAN_TTL_HOURS}.` }),
    }),
    heartbeat: z
      .object({
        configured: z.boolean().openapi({ description: "Whether a URL is set: it is called with a GET on every minute tick." }),
        url_hint: z.string().nullable().openapi({
          description:
            "The URL's origin and last characters. The URL itself is write-only (stored encrypted): it usually carries the monitor's token. null: off.",
          example: "https://hc-ping.com/••••3f2a",
        }),
        last_at: timestampSchema.nullable().openapi({ description: "When the minute tick last called it." }),
        last_ok: z.boolean().nullable().openapi({ description: "Whether that call got a 2xx." }),
        last_status: z.number().int().nullable().openapi({ description: "Its HTTP status; null when no response came." }),
        last_error: z.string().nullable().openapi({ description: "What went wrong, in a sentence; null after a 2xx." }),
      })
      .openapi("HeartbeatSetting"),
    connections: z.object({
      pause_after_failed_runs: z.number().int().openapi({ description: "Failed jobs in a row that pause a connection; 0 never pauses." }),
    }),
    telemetry: z
      .object({
        endpoint: z.string().nullable().openapi({ description: "OTLP/HTTP base URL traces and metrics are exported to; null: off." }),
        service_name: z.string(),
        headers: z
          .array(z.object({ name: z.string(), value_hint: z.string().openapi({ example: "••••Q2x9" }) }))
          .openapi({ description: "Headers sent with every export; values are write-only, only a hint comes back." }),
      })
      .openapi("TelemetrySetting"),
    updated_at: timestampSchema.nullable(),
  })
  .openapi("Settings");
export type Settings = z.infer<typeof settingsSchema>;
