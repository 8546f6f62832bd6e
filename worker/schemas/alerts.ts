import { z } from "@hono/zod-openapi";
import { emailAddressSchema, MAX_EMAIL_RECIPIENTS } from "../alerts/channel-kinds";
import {
  ALERT_SEVERITIES,
  CHANNEL_KINDS,
  CHANNEL_TEST_TRIGGERS,
  DELIVERY_STATUSES,
  EVENT_TYPES,
  PAGERDUTY_SEVERITIES,
  RULE_CONDITIONS,
  VOLUME_METRICS,
} from "../alerts/vocabulary";
import { listQuerySchema, nameSchema, pageSchema, timestampSchema } from "./common";
import { scheduleSchema } from "./schedule";

// Schemas of /api/alerts: channels, rules and the delivery log.

const channelNameSchema = nameSchema(100).openapi({ example: "Ops on-call" });
const urlSchema = z.string().trim().min(1).max(2000);
const eventTypesSchema = z
  .array(z.enum(EVENT_TYPES))
  .min(1)
  .nullable()
  .openapi({ description: "Event types to POST; null (the default) means every status change and every alert of this channel's rules." });
const connectionIdsSchema = z
  .array(z.string().min(1).max(100))
  .min(1)
  .max(500)
  .nullable()
  .openapi({ description: "Connections the rule watches; null means every connection." });
const webhookConnectionIdsSchema = connectionIdsSchema.openapi({
  description: "Only status changes of runs and jobs of these connections are POSTed; null (the default) means every connection.",
});
const writeOnly = (description: string) => ({ writeOnly: true, description });
const testScheduleSchema = scheduleSchema.nullable().openapi({
  description: "Send a test message on this 5-field cron (UTC), so the channel is known to work before an alert needs it; null: never.",
  example: "0 9 * * 1",
});

const webhookCreate = z.strictObject({
  kind: z.literal("webhook"),
  name: channelNameSchema,
  url: urlSchema.openapi({ example: "https://hooks.example.com/outbound-sync" }),
  event_types: eventTypesSchema.optional(),
  connection_ids: webhookConnectionIdsSchema.optional(),
  enabled: z.boolean().optional(),
  test_schedule: testScheduleSchema.optional(),
});
const slackCreate = z.strictObject({
  kind: z.literal("slack"),
  name: channelNameSchema,
  webhook_url: urlSchema.openapi(writeOnly("Slack incoming-webhook URL. It grants posting, so it is stored encrypted and never returned.")),
  enabled: z.boolean().optional(),
  test_schedule: testScheduleSchema.optional(),
});
const pagerDutyCreate = z.strictObject({
  kind: z.literal("pagerduty"),
  name: channelNameSchema,
  routing_key: z.string().trim().min(1).max(200).openapi(writeOnly("Events API v2 integration (routing) key. Stored encrypted, never returned.")),
  events_url: urlSchema.optional().openapi({ description: "Defaults to https://events.pagerduty.com/v2/enqueue." }),
  severity: z.enum(PAGERDUTY_SEVERITIES).optional().openapi({ description: "Severity of triggered incidents; default error." }),
  enabled: z.boolean().optional(),
  test_schedule: testScheduleSchema.optional(),
});
const emailCreate = z.strictObject({
  kind: z.literal("email"),
  name: channelNameSchema,
  to: z
    .array(emailAddressSchema)
    .min(1)
    .max(MAX_EMAIL_RECIPIENTS)
    .openapi({ example: ["oncall@example.com"] }),
  from: emailAddressSchema.openapi({ description: "A sender address the send_email binding may use.", example: "alerts@example.com" }),
  from_name: nameSchema(100).optional(),
  enabled: z.boolean().optional(),
  test_schedule: testScheduleSchema.optional(),
});

export const createChannelBodySchema = z
  .discriminatedUnion("kind", [webhookCreate, slackCreate, pagerDutyCreate, emailCreate])
  .openapi("CreateAlertChannelRequest");
export type CreateChannelBody = z.infer<typeof createChannelBodySchema>;

// The kind never changes; a field of another kind is refused by name.
export const updateChannelBodySchema = z
  .strictObject({
    name: channelNameSchema.optional(),
    enabled: z.boolean().optional().openapi({ description: "true re-enables a disabled channel; its waiting deliveries resume." }),
    url: urlSchema.optional(),
    event_types: eventTypesSchema.optional(),
    connection_ids: webhookConnectionIdsSchema.optional(),
    webhook_url: urlSchema.optional().openapi(writeOnly("Slack only: replace the incoming-webhook URL.")),
    routing_key: z.string().trim().min(1).max(200).optional().openapi(writeOnly("PagerDuty only: replace the routing key.")),
    events_url: urlSchema.optional(),
    severity: z.enum(PAGERDUTY_SEVERITIES).optional(),
    to: z.array(emailAddressSchema).min(1).max(MAX_EMAIL_RECIPIENTS).optional(),
    from: emailAddressSchema.optional(),
    from_name: nameSchema(100).optional(),
    test_schedule: testScheduleSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "give at least one field to change")
  .openapi("UpdateAlertChannelRequest");
export type UpdateChannelBody = z.infer<typeof updateChannelBodySchema>;

export const channelSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(CHANNEL_KINDS),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().openapi({ description: "Why the dispatcher disabled the channel (410 Gone, or failing for days)." }),
    disabled_at: timestampSchema.nullable(),
    config: z
      .object({
        url: z.string().optional(),
        event_types: z.array(z.enum(EVENT_TYPES)).nullable().optional(),
        connection_ids: z.array(z.string()).nullable().optional(),
        events_url: z.string().optional(),
        severity: z.enum(PAGERDUTY_SEVERITIES).optional(),
        to: z.array(z.string()).optional(),
        from: z.string().optional(),
        from_name: z.string().optional(),
      })
      .openapi({ description: "Non-secret settings of the kind." }),
    secret_hint: z.string().nullable().openapi({ description: "Last characters of the signing secret, Slack URL or routing key.", example: "••••3f9a" }),
    secret_rotation_ends_at: timestampSchema.nullable().openapi({ description: "Webhooks: until then every request is signed with the old secret too." }),
    health: z.object({
      last_success_at: timestampSchema.nullable(),
      last_failure_at: timestampSchema.nullable(),
      failing_since: timestampSchema.nullable().openapi({ description: "Start of the current run of failed attempts; null after a success." }),
    }),
    test_schedule: z.string().nullable().openapi({ description: "5-field cron (UTC) of the scheduled test message; null: none." }),
    next_test_at: timestampSchema.nullable().openapi({ description: "When the next scheduled test is sent (a disabled channel's is skipped)." }),
    last_test: z
      .object({
        at: timestampSchema,
        ok: z.boolean(),
        status_code: z.number().int().nullable(),
        error: z.string().nullable(),
        trigger: z.enum(CHANNEL_TEST_TRIGGERS).openapi({ description: "scheduled: sent by the minute tick on test_schedule; manual: Send test." }),
      })
      .nullable()
      .openapi({ description: "The last test message, scheduled or sent by hand, and what the receiver answered." }),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .openapi("AlertChannel");
export type AlertChannel = z.infer<typeof channelSchema>;

export const channelWithSecretSchema = channelSchema
  .extend({
    secret: z
      .string()
      .openapi({ description: "The whsec_ signing secret. Shown only in this response; store it now.", example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }),
  })
  .openapi("AlertChannelWithSecret");

export const createdChannelSchema = channelSchema
  .extend({ secret: z.string().optional().openapi({ description: "Webhooks only: the whsec_ signing secret, shown only in this response." }) })
  .openapi("CreatedAlertChannel");

export const channelPageSchema = pageSchema(channelSchema, "AlertChannelPage");

export const rotateSecretBodySchema = z
  .strictObject({
    grace_hours: z
      .number()
      .int()
      .min(0)
      .max(168)
      .default(24)
      .openapi({ description: "How long the old secret still signs (both signatures are sent); 0 retires it at once." }),
  })
  .openapi("RotateWebhookSecretRequest");

export const attemptSchema = z
  .object({
    attempt: z.number().int(),
    attempted_at: timestampSchema,
    status_code: z.number().int().nullable(),
    duration_ms: z.number().int(),
    response_excerpt: z.string().nullable().openapi({ description: "At most 1 KB of the response body." }),
    error: z.string().nullable(),
  })
  .openapi("DeliveryAttempt");
export type DeliveryAttempt = z.infer<typeof attemptSchema>;

export const testSendResultSchema = z
  .object({
    ok: z.boolean(),
    channel_id: z.string(),
    attempts: z.array(attemptSchema.omit({ attempt: true })),
  })
  .openapi("AlertTestSendResult");

const thresholdSchema = z
  .number()
  .int()
  .min(1)
  .max(100)
  .openapi({
    description:
      "job_failed: alert after this many consecutive failed jobs of a connection; verify_mismatch and drifted: alert when one job has at least this many records with that outcome; " +
      "record_failure_rate: alert when at least this percent of a job's in-scope records failed.",
    example: 2,
  });
const conditionSchema = z.enum(RULE_CONDITIONS).openapi({
  description:
    "What the rule alerts on: job_failed (failed jobs in a row), verify_mismatch (writes the destination accepted but stored differently, found by read-back verification) " +
    "or drifted (serials an apply run did not write because the destination or source changed since the dry run). Recovery: the connection's next completed job (for verify_mismatch and drifted, its next completed live job without such records).",
});

const severitySchema = z.enum(ALERT_SEVERITIES).openapi({
  description: "The level this rule's alerts raise at (freshness raises Delayed as warning and Overdue as critical). A change of level is one notification.",
});
const mutedUntilDescription = "Snooze: until then the rule's incidents still open and resolve, but no notification is sent. null: not muted.";
const mutedUntilInputSchema = z.iso.datetime({ offset: true }).nullable().openapi({ description: mutedUntilDescription, example: "2026-12-07T09:00:00Z" });
const mutedUntilSchema = timestampSchema.nullable().openapi({ description: mutedUntilDescription });

// Each condition reads the parameters it needs and ignores none silently: a parameter another condition owns is refused.
export const ruleParamsSchema = z
  .strictObject({
    factor: z
      .number()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "slow_run: alert when a run takes more than this many times the median duration (default 2).", example: 2 }),
    window: z
      .number()
      .int()
      .min(2)
      .max(50)
      .optional()
      .openapi({
        description:
          "slow_run, volume_change, missing_spike: how many recent runs of the connection to compare with (default 10; at least 3 are needed before the rule judges). " +
          "slow_run: its successful runs of the same mode; volume_change: its completed runs of the same mode; missing_spike: its completed runs. Single-serial runs are left out.",
        example: 10,
      }),
    percent: z
      .number()
      .min(0)
      .max(1000)
      .optional()
      .openapi({
        description:
          "volume_change: the recent [min, max] is widened by this percent of each bound before a count outside it alerts (default 20); " +
          "missing_spike: alert when the missing-destination share of in-scope records is this many percentage points above its recent median (default 20, above 0 and at most 100).",
      }),
    metric: z.enum(VOLUME_METRICS).optional().openapi({ description: "volume_change: the counter compared with recent runs (default in_scope)." }),
  })
  .openapi("AlertRuleParams");
export type RuleParams = z.infer<typeof ruleParamsSchema>;

export const createRuleBodySchema = z
  .strictObject({
    channel_id: z.string().min(1).max(100),
    connection_ids: connectionIdsSchema.default(null),
    condition: conditionSchema.default("job_failed"),
    failure_threshold: thresholdSchema.default(1),
    notify_recovery: z.boolean().default(true).openapi({ description: "Send a recovery notice when the connection succeeds again." }),
    enabled: z.boolean().default(true),
    severity: severitySchema.default("critical"),
    params: ruleParamsSchema.default({}),
    muted_until: mutedUntilInputSchema.default(null),
  })
  .openapi("CreateAlertRuleRequest");

export const updateRuleBodySchema = z
  .strictObject({
    connection_ids: connectionIdsSchema.optional(),
    condition: conditionSchema.optional(),
    failure_threshold: thresholdSchema.optional(),
    notify_recovery: z.boolean().optional(),
    enabled: z.boolean().optional(),
    severity: severitySchema.optional(),
    params: ruleParamsSchema.optional(),
    muted_until: mutedUntilInputSchema.optional(),
  })
  .refine(
    (body) => Object.keys(body).length > 0,
    "give at least one of connection_ids, condition, failure_threshold, notify_recovery, enabled, severity, params, muted_until",
  )
  .openapi("UpdateAlertRuleRequest");

export const ruleSchema = z
  .object({
    id: z.string(),
    channel_id: z.string(),
    channel_name: z.string(),
    channel_kind: z.enum(CHANNEL_KINDS),
    connection_ids: z.array(z.string()).nullable(),
    condition: conditionSchema,
    failure_threshold: z.number().int(),
    notify_recovery: z.boolean(),
    enabled: z.boolean(),
    severity: severitySchema,
    params: ruleParamsSchema,
    muted_until: mutedUntilSchema,
    open_incidents: z.number().int().openapi({ description: "Connections this rule is currently alerting about." }),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .openapi("AlertRule");
export type AlertRule = z.infer<typeof ruleSchema>;

export const rulePageSchema = pageSchema(ruleSchema, "AlertRulePage");

export const ruleListQuerySchema = listQuerySchema.extend({
  channel_id: z.string().min(1).max(100).optional(),
});

export const deliverySchema = z
  .object({
    id: z.string(),
    webhook_id: z.string().openapi({ description: "The webhook-id header: the same on every attempt and redelivery." }),
    event_id: z.string(),
    event_type: z.enum(EVENT_TYPES).nullable(),
    channel_id: z.string(),
    channel_name: z.string().nullable().openapi({ description: "null once the channel is deleted." }),
    channel_kind: z.enum(CHANNEL_KINDS).nullable(),
    run_id: z.string().nullable(),
    connection_id: z.string().nullable(),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.number().int(),
    next_attempt_at: timestampSchema.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    redeliveries: z.number().int(),
    delivered_at: timestampSchema.nullable(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
    attempts: z.array(attemptSchema),
  })
  .openapi("AlertDelivery");
export type AlertDelivery = z.infer<typeof deliverySchema>;

export const deliveryDetailSchema = deliverySchema
  .extend({ payload: z.unknown().openapi({ description: "The event payload as sent to custom webhooks (never holds a secret)." }) })
  .openapi("AlertDeliveryDetail");
export type AlertDeliveryDetail = z.infer<typeof deliveryDetailSchema>;

export const deliveryPageSchema = pageSchema(deliverySchema, "AlertDeliveryPage");

export const deliveryListQuerySchema = listQuerySchema.extend({
  channel_id: z.string().min(1).max(100).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  event_type: z.enum(EVENT_TYPES).optional(),
  run_id: z.string().min(1).max(100).optional(),
});
