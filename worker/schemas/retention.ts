import { z } from "@hono/zod-openapi";
import { ARCHIVE_COUNTS, EXPORT_STATUSES, PASS_PHASES, PASS_STATUSES, PURGED_TABLES, RETENTION_STATUSES } from "./retention-vocabulary";
import { RETENTION_PLANS } from "./settings";
import { timestampSchema } from "./common";

const deletedCountsSchema = z
  .object(Object.fromEntries(PURGED_TABLES.map((t) => [t, z.number().int()])) as Record<(typeof PURGED_TABLES)[number], z.ZodNumber>)
  .openapi("PurgedRowCounts");

const archiveDeletedSchema = z
  .object(Object.fromEntries(ARCHIVE_COUNTS.map((c) => [c, z.number().int()])) as Record<(typeof ARCHIVE_COUNTS)[number], z.ZodNumber>)
  .openapi("PurgedArchiveCounts", {
    description: "What was deleted from the R2 archive: day prefixes (jobs/YYYY-MM-DD/) worked through, their objects and bytes.",
  });

export const retentionPassSchema = z
  .object({
    id: z.string(),
    status: z.enum(PASS_STATUSES).openapi({ description: "failed: an export failed, so that day and later were kept." }),
    phase: z.enum(PASS_PHASES),
    cutoff: timestampSchema.openapi({ description: "History created before this was due for deletion." }),
    purge_before: timestampSchema.nullable().openapi({ description: "What was actually deleted: before the cutoff, or before a day whose export failed." }),
    blocked_day: z.string().nullable(),
    deleted: deletedCountsSchema,
    archive_deleted: archiveDeletedSchema,
    error: z.string().nullable(),
    started_at: timestampSchema,
    finished_at: timestampSchema.nullable(),
    invocations: z.number().int().openapi({ description: "Trigger invocations the pass took (it resumes when one runs out of time)." }),
    longest_statement_ms: z.number(),
    export_target: z.string().nullable(),
    exported_days: z.array(z.string()),
  })
  .openapi("RetentionPass");
export type RetentionPassView = z.infer<typeof retentionPassSchema>;

export const logExportDaySchema = z
  .object({
    day: z.string().openapi({ example: "2026-11-21" }),
    status: z.enum(EXPORT_STATUSES),
    target: z.string().nullable(),
    object_keys: z.array(z.string()),
    bytes: z.number().int().nullable(),
    job_count: z.number().int().nullable(),
    log_count: z.number().int().nullable(),
    archive_objects: z.number().int().nullable().openapi({ description: "Archive objects of the day copied to the target, under YYYY-MM-DD/archive/." }),
    archive_bytes: z.number().int().nullable(),
    error: z.string().nullable(),
    attempted_at: timestampSchema,
    exported_at: timestampSchema.nullable(),
  })
  .openapi("LogExportDay");
export type LogExportDayView = z.infer<typeof logExportDaySchema>;

export const retentionQuerySchema = z.object({
  passes_limit: z.coerce.number().int().min(1).max(100).default(10).openapi({ type: "integer" }),
  exports_limit: z.coerce.number().int().min(0).max(400).default(30).openapi({ type: "integer" }),
});

export const retentionResponseSchema = z
  .object({
    policy: z.object({
      plan: z.enum(RETENTION_PLANS),
      days: z.number().int(),
      cutoff: timestampSchema.openapi({ description: "Today's purge line: history created before it is deleted by the daily run." }),
    }),
    log_export: z.object({
      target: z.enum(["none", "r2", "s3"]),
      destination: z.string().nullable().openapi({ example: "r2:LOG_EXPORT/outbound-sync/" }),
      key_layout: z.string().nullable(),
      failing_day: z.string().nullable().openapi({ description: "The oldest day whose export failed; nothing from it on is purged until it succeeds." }),
      days: z.array(logExportDaySchema).openapi({ description: "Newest day first." }),
    }),
    running_pass: retentionPassSchema.nullable(),
    last_finished_pass: retentionPassSchema.nullable(),
    passes: z.array(retentionPassSchema).openapi({ description: "Newest first." }),
  })
  .openapi("Retention");
export type RetentionResponse = z.infer<typeof retentionResponseSchema>;

export const retentionRunResponseSchema = z
  .object({
    status: z.enum(RETENTION_STATUSES).openapi({
      description:
        "up_to_date: today's pass already completed; busy: another invocation holds the pass; in_progress: the time budget ran out and the minute trigger continues it.",
    }),
    deleted: deletedCountsSchema,
    archive_deleted: archiveDeletedSchema,
    exported_days: z.array(z.string()),
    longest_statement_ms: z.number(),
    error: z.string().nullable(),
    pass: retentionPassSchema.nullable(),
  })
  .openapi("RetentionRun");
