import { z } from "@hono/zod-openapi";
import { RERUN_SCOPES } from "./vocabulary";
import { runListQuerySchema } from "./runs";

// Issue 17, bulk actions: cancel or rerun every run matching the run list's filters.

export const BULK_RUN_ACTIONS = ["cancel", "rerun"] as const;
export type BulkRunAction = (typeof BULK_RUN_ACTIONS)[number];
// One call touches at most this many runs; more matching runs are refused as a whole (narrow the filters).
export const BULK_RUN_LIMIT = 500;
export const BULK_PREVIEW_IDS = 50;

// The run list's filters (GET /api/runs), sent as JSON: the Jobs page posts the filters it shows.
export const bulkRunFiltersSchema = runListQuerySchema.omit({ cursor: true, limit: true });

const action = z.enum(BULK_RUN_ACTIONS).openapi({
  description: "cancel counts the matching pending and running runs; rerun the matching finished ones (completed, failed, canceled).",
});

export const bulkPreviewBodySchema = z.strictObject({ ...bulkRunFiltersSchema.shape, action }).openapi("BulkRunPreviewRequest");

export const bulkPreviewSchema = z
  .object({
    count: z
      .number()
      .int()
      .openapi({ description: `Runs the action would touch, at most ${BULK_RUN_LIMIT + 1}.` }),
    over_limit: z.boolean().openapi({ description: `More than ${BULK_RUN_LIMIT} match: the action would be refused; narrow the filters.` }),
    run_ids: z.array(z.string()).openapi({ description: `The first ${BULK_PREVIEW_IDS}, newest first.` }),
  })
  .openapi("BulkRunPreview");
export type BulkRunPreview = z.infer<typeof bulkPreviewSchema>;

const expectedCount = z
  .number()
  .int()
  .min(1)
  .max(BULK_RUN_LIMIT)
  .openapi({ description: "The count the preview showed; 409 count_changed when the matching runs now number otherwise." });

export const bulkCancelBodySchema = z.strictObject({ ...bulkRunFiltersSchema.shape, expected_count: expectedCount }).openapi("BulkCancelRequest");
export const bulkRerunBodySchema = z
  .strictObject({
    ...bulkRunFiltersSchema.shape,
    expected_count: expectedCount,
    scope: z.enum(RERUN_SCOPES).default("all").openapi({ description: "As POST /api/runs/{id}/rerun; default all." }),
  })
  .openapi("BulkRerunRequest");
export type BulkCancelRequest = z.input<typeof bulkCancelBodySchema>;
export type BulkRerunRequest = z.input<typeof bulkRerunBodySchema>;
export type BulkPreviewRequest = z.input<typeof bulkPreviewBodySchema>;

export const bulkResultSchema = z
  .object({
    count: z.number().int().openapi({ description: "Runs that matched." }),
    done: z.array(z.string()).openapi({ description: "Canceled runs, or the runs rerun." }),
    new_run_ids: z.array(z.string()).openapi({ description: "rerun: the new runs, in the order of `done`; empty for cancel." }),
    skipped: z
      .array(z.object({ run_id: z.string(), code: z.string(), message: z.string() }))
      .openapi({ description: "Runs the action refused one by one, e.g. a run that finished meanwhile (run_finished)." }),
  })
  .openapi("BulkRunResult");
export type BulkRunResult = z.infer<typeof bulkResultSchema>;
