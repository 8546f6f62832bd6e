import { z } from "@hono/zod-openapi";
import { lastStatusFields, listQuerySchema, nameSchema, pageSchema, timestampSchema } from "./common";
import { configPatchSchema, connectionConfigSchema } from "./connection-config";
import { scheduleSchema } from "./schedule";
import { freshnessSchema, freshnessSlaMinutesSchema } from "./freshness";

const connectionPauseSchema = z
  .object({
    at: timestampSchema,
    reason: z.string().openapi({ example: "Failed 10 runs in a row; last error: 503 Service Unavailable" }),
  })
  .openapi("ConnectionPause");

const connectionNameSchema = nameSchema(200).openapi({ example: "Device status (JSON)" });
const idSchema = z.string().min(1).max(100);

export const connectionSummarySchema = z
  .object({
    id: z.string().openapi({ example: "conn_demo_json" }),
    name: z.string(),
    credential_id: z.string(),
    credential_name: z.string(),
    position: z.number().int().openapi({ description: "Execution order within the credential, dense from 1." }),
    enabled: z.boolean(),
    dry_run: z.boolean().openapi({ description: "Runs from the schedule or without an explicit mode are dry runs." }),
    debug: z.boolean().openapi({ description: "Emit DEBUG log lines." }),
    schedule: z.string().nullable().openapi({ description: "5-field cron (UTC), or null.", example: "0 * * * *" }),
    version: z.number().int().openapi({ description: "Increments on every configuration change." }),
    updated_at: timestampSchema,
    freshness_sla_minutes: z.number().int().nullable().openapi({ description: "Freshness SLA in minutes, or null: judged by the schedule." }),
    freshness: freshnessSchema.nullable(),
    paused: connectionPauseSchema.nullable().openapi({
      description: "Set while the connection is paused after failing too many runs in a row: the scheduler skips it until resumed.",
    }),
    alerts_muted_until: timestampSchema.nullable().openapi({
      description: "Until then no alert about this connection is sent (its incidents still open and resolve); null: not muted.",
    }),
  })
  .openapi("ConnectionSummary");
export type ConnectionSummary = z.infer<typeof connectionSummarySchema>;

export const connectionSchema = connectionSummarySchema
  .extend({
    config: connectionConfigSchema,
    created_at: timestampSchema,
    ...lastStatusFields,
    last_run_at: timestampSchema.nullable(),
    last_success_at: timestampSchema.nullable(),
    consecutive_failures: z.number().int(),
    sync_cursor: z.string().nullable().openapi({
      description: "Incremental cursor from the last successful live full run; null means the next full run is complete.",
    }),
  })
  .openapi("Connection");
export type Connection = z.infer<typeof connectionSchema>;

export const connectionSummaryPageSchema = pageSchema(connectionSummarySchema, "ConnectionSummaryPage");

export const listConnectionsQuerySchema = listQuerySchema.extend({
  credential_id: idSchema.optional().openapi({ description: "Only this credential's connections." }),
});

export const createConnectionBodySchema = z
  .strictObject({
    credential_id: idSchema,
    name: connectionNameSchema,
    enabled: z.boolean().default(true),
    dry_run: z.boolean().default(true).openapi({ description: "New connections start with dry run on." }),
    debug: z.boolean().default(false),
    schedule: scheduleSchema.nullable().default(null),
    freshness_sla_minutes: freshnessSlaMinutesSchema.nullable().default(null),
    config: connectionConfigSchema,
    change_note: z.string().max(500).optional(),
  })
  .openapi("CreateConnectionRequest", {
    description: "The connection is placed last in its credential's execution order.",
  });
export type CreateConnectionBody = z.output<typeof createConnectionBodySchema>;

const CHANGE_FIELDS = ["name", "enabled", "dry_run", "debug", "schedule", "config", "freshness_sla_minutes"] as const;

export const updateConnectionBodySchema = z
  .strictObject({
    name: connectionNameSchema.optional(),
    enabled: z.boolean().optional(),
    dry_run: z.boolean().optional(),
    debug: z.boolean().optional(),
    schedule: scheduleSchema.nullable().optional().openapi({ description: "null removes the schedule." }),
    config: configPatchSchema.optional(),
    freshness_sla_minutes: freshnessSlaMinutesSchema.nullable().optional().openapi({ description: "null judges freshness by the schedule alone." }),
    expected_version: z.number().int().min(1).optional().openapi({
      description: "Refuse with 409 unless the connection is still at this version (same as the If-Match header).",
    }),
    change_note: z.string().max(500).optional().openapi({ description: "Kept with the version in the history." }),
  })
  .refine((body) => CHANGE_FIELDS.some((field) => body[field] !== undefined), {
    message: `give at least one of ${CHANGE_FIELDS.join(", ")}`,
  })
  .openapi("UpdateConnectionRequest");
export type UpdateConnectionBody = z.output<typeof updateConnectionBodySchema>;

export const ifMatchHeadersSchema = z.object({
  "if-match": z.string().max(50).optional().openapi({
    description: 'The version the change is based on, e.g. "3"; 409 if the connection has moved on.',
    example: '"3"',
  }),
});

export const connectionSnapshotSchema = z
  .object({
    name: z.string(),
    enabled: z.boolean(),
    dry_run: z.boolean(),
    debug: z.boolean(),
    schedule: z.string().nullable(),
    config: connectionConfigSchema,
    freshness_sla_minutes: z.number().int().nullable(),
  })
  .openapi("ConnectionSnapshot");
export type ConnectionSnapshot = z.infer<typeof connectionSnapshotSchema>;

export const connectionVersionSchema = z
  .object({
    version: z.number().int(),
    changed_by: z.string().openapi({ description: "The token name or Access email that made the change." }),
    changed_at: timestampSchema,
    change_note: z.string().nullable(),
    snapshot: connectionSnapshotSchema.openapi({ description: "The whole configuration as it was after this change." }),
  })
  .openapi("ConnectionVersion");
export type ConnectionVersion = z.infer<typeof connectionVersionSchema>;

export const connectionVersionPageSchema = pageSchema(connectionVersionSchema, "ConnectionVersionPage");

export const reorderBodySchema = z
  .strictObject({
    connection_ids: z.array(idSchema).max(1000).openapi({ description: "Every connection of the credential, exactly once, in the new execution order." }),
  })
  .openapi("ReorderConnectionsRequest");

export const connectionOrderSchema = z
  .object({ data: z.array(connectionSummarySchema) })
  .openapi("ConnectionOrder", { description: "The credential's connections in their new order." });
