import { z } from "@hono/zod-openapi";
import { JOB_DIAGNOSIS_CODES, JOB_DIAGNOSIS_SEVERITIES } from "../engine/errors";
import { RECORD_ACTIONS } from "../engine/reconcile";
import { LOG_LEVELS } from "./vocabulary";
import { RERUN_SCOPES, RUN_MODES, RUN_STATUSES, RUN_TRIGGERS, RUN_TYPES } from "./vocabulary";
import { TIME_INPUT_HELP } from "../stats/time-range";
import { statusDetailSchema } from "./common";

const isoTime = z.string().openapi({ format: "date-time", example: "2026-11-22T12:34:56.789Z" });
const isoTimeOrNull = isoTime.nullable();

export const runStatusSchema = z.enum(RUN_STATUSES).openapi("RunStatus");
export const runTypeSchema = z.enum(RUN_TYPES).openapi("RunType");
export const runModeSchema = z.enum(RUN_MODES).openapi("RunMode");
export const runTriggerSchema = z.enum(RUN_TRIGGERS).openapi("RunTrigger");
export const recordActionSchema = z.enum(RECORD_ACTIONS).openapi("RecordAction");
export const logLevelSchema = z.enum(LOG_LEVELS).openapi("LogLevel");

// Issue 17: while running, when the job or run is expected to finish (worker/runs/eta.ts); null otherwise.
export const etaSchema = z
  .object({
    remaining_ms: z.number().int().openapi({ description: "Milliseconds left as of this response." }),
    finish_at: isoTime.openapi({ description: "The expected finish; a client counts down to it with its own clock." }),
  })
  .nullable()
  .openapi("Eta", {
    description:
      "Estimated from the job's rate over its last minute of progress; null until 5 s and 20 records of progress were seen, while the scope is " +
      "unknown, or (a run) while a queued job has neither a known scope nor a completed job to go by.",
  });
export type Eta = z.infer<typeof etaSchema>;

export const jobWaitingSchema = z
  .object({
    host: z.string().openapi({ example: "api.example.com" }),
    next_probe_at: isoTimeOrNull.openapi({ description: "When the job looks again: the breaker's next probe, or the end of one in progress." }),
    reason: z.string().openapi({ example: "Paused: destination api.example.com is failing; next probe at 2026-12-06T04:30:00.000Z" }),
  })
  .openapi("JobWaiting");

export const runSummarySchema = z
  .object({
    id: z.string().openapi({ example: "run_01jd7v0q2k8x3c5n4m6p7r8s9t" }),
    credential_id: z.string(),
    credential_name: z.string(),
    type: runTypeSchema,
    serial: z.string().nullable().openapi({ description: "The one serial of a single run." }),
    mode: runModeSchema,
    trigger: runTriggerSchema,
    requested_by: z.string().openapi({ description: 'Token name, Access email, or "scheduler".' }),
    status: runStatusSchema,
    connection_ids: z.array(z.string()).nullable().openapi({ description: "The chosen connections; null means all enabled ones." }),
    reset: z.boolean(),
    rerun_of: z.string().nullable(),
    plan_run_id: z.string().nullable().openapi({ description: "An apply run: the dry run whose plan it sends (POST /api/runs/{id}/apply); null otherwise." }),
    connection_count: z.number().int(),
    connections_succeeded: z.number().int(),
    connections_failed: z.number().int(),
    failed_records: z.number().int().openapi({ description: "Records that failed across the run's jobs (updated as each job finishes)." }),
    status_detail: statusDetailSchema,
    cancel_requested_at: isoTimeOrNull,
    created_at: isoTime,
    started_at: isoTimeOrNull,
    finished_at: isoTimeOrNull,
    duration_ms: z.number().int().nullable().openapi({ description: "From start to finish; null until the run finishes." }),
    eta: etaSchema,
    waiting: jobWaitingSchema.nullable().openapi({
      description: "A running run held back by an open destination breaker: the host its waiting job waits for; null otherwise.",
    }),
  })
  .openapi("RunSummary");
export type RunSummary = z.infer<typeof runSummarySchema>;

export const jobErrorSchema = z
  .object({
    code: z.string().openapi({ example: "method_not_allowed" }),
    http_status: z.number().int().nullable(),
    message: z.string(),
    hint: z.string().nullable().openapi({ example: "Verify method in Update API Contract." }),
  })
  .openapi("JobError");
export type JobError = z.infer<typeof jobErrorSchema>;

export const jobDiagnosisSchema = z
  .object({
    code: z.enum(JOB_DIAGNOSIS_CODES),
    severity: z.enum(JOB_DIAGNOSIS_SEVERITIES).openapi({
      description: "warning: worth a look, and the status reads as a warning; info: a healthy outcome worth a word (up_to_date).",
    }),
    label: z.string().openapi({ example: "Missing Source", description: 'A few words for the status line: "Completed — Missing Source".' }),
    message: z.string().openapi({ example: "Nothing to write: the record is Missing Source (not in the source, or without a field the mapping requires)" }),
    hint: z.string(),
  })
  .openapi("JobDiagnosis");
export type JobDiagnosis = z.infer<typeof jobDiagnosisSchema>;

export const jobSummarySchema = z
  .object({
    id: z.string().openapi({ example: "job_01jd7v0q2k8x3c5n4m6p7r8s9t" }),
    run_id: z.string(),
    connection_id: z.string(),
    connection_name: z.string(),
    connection_version: z.number().int().openapi({ description: "The connection's contract version the job ran with." }),
    position: z.number().int().openapi({ description: "Execution order within the run." }),
    mode: runModeSchema.openapi({ description: "A run without an explicit mode runs each connection in its own dry-run setting." }),
    status: runStatusSchema,
    in_scope: z.number().int().nullable().openapi({ description: 'Records in scope ("X of N"); null while not yet known.' }),
    incremental_since: isoTimeOrNull.openapi({
      description:
        "An incremental full job: the connection's cursor it read from (source records changed since then, plus the serials that failed " +
        "last time). Null for a complete or single job, and for an HTTP source without `updated_at_path`, which is always read whole.",
    }),
    processed: z.number().int(),
    would_update: z.number().int(),
    updated: z.number().int(),
    skipped_rule: z.number().int(),
    skipped_no_change: z.number().int(),
    missing_source: z.number().int(),
    missing_destination: z.number().int(),
    failed: z.number().int(),
    failed_records: z.number().int().openapi({ description: "The job's failed records (the same as failed), named as on runs." }),
    status_detail: statusDetailSchema,
    drifted: z.number().int().openapi({ description: "Live apply runs: planned serials not written because what the plan saw no longer holds." }),
    verified: z.number().int().openapi({ description: "Written and read back with every written field as sent." }),
    verify_mismatch: z.number().int().openapi({ description: "Written (2xx) but read back with a written field holding another value, or gone." }),
    bytes_sent: z.number().int(),
    bytes_received: z.number().int(),
    error: jobErrorSchema.nullable(),
    diagnoses: z.array(jobDiagnosisSchema).openapi({
      description: "What a completed job's counters say about it, e.g. that nothing was written and why; empty otherwise.",
    }),
    created_at: isoTime,
    started_at: isoTimeOrNull,
    finished_at: isoTimeOrNull,
    duration_ms: z.number().int().nullable(),
    waiting: jobWaitingSchema.nullable().openapi({ description: "A running job held back by an open destination breaker; null otherwise." }),
    eta: etaSchema,
  })
  .openapi("JobSummary");
export type JobSummary = z.infer<typeof jobSummarySchema>;

export const runDetailSchema = runSummarySchema
  .extend({ jobs: z.array(jobSummarySchema).openapi({ description: "In execution order." }) })
  .openapi("RunDetail");
export type RunDetail = z.infer<typeof runDetailSchema>;

export const jobDetailSchema = jobSummarySchema
  .extend({
    run: runSummarySchema.pick({
      id: true,
      credential_id: true,
      credential_name: true,
      type: true,
      serial: true,
      mode: true,
      trigger: true,
      requested_by: true,
      status: true,
    }),
  })
  .openapi("JobDetail");
export type JobDetail = z.infer<typeof jobDetailSchema>;

export const fieldChangeSchema = z
  .object({
    field: z.string(),
    before: z.unknown().openapi({ description: "The destination's value; null when it lacks the field." }),
    after: z.unknown(),
    written: z.boolean().optional().openapi({ description: 'false for compare-only ("never") rules.' }),
  })
  .openapi("FieldChange");
export type FieldChange = z.infer<typeof fieldChangeSchema>;

export const fieldDifferenceSchema = z
  .object({
    field: z.string(),
    expected: z.unknown().openapi({ description: "The value sent (stored), or the value the plan saw or would have written (destination, source)." }),
    found: z.unknown().openapi({ description: "The value read back, or the value now; null when it is gone." }),
    side: z.enum(["stored", "destination", "source"]),
  })
  .openapi("FieldDifference");
export type FieldDifference = z.infer<typeof fieldDifferenceSchema>;

export const recordOutcomeSchema = z
  .object({
    job_id: z.string(),
    run_id: z.string(),
    serial: z.string(),
    action: recordActionSchema,
    changes: z.array(fieldChangeSchema),
    differences: z.array(fieldDifferenceSchema).nullable().openapi({
      description: "verify_mismatch and drifted: the fields that did not hold what was expected; null when none.",
    }),
    http_status: z.number().int().nullable(),
    payload_excerpt: z.string().nullable(),
    error: z.string().nullable(),
    recorded_at: isoTime,
  })
  .openapi("RecordOutcome");
export type RecordOutcome = z.infer<typeof recordOutcomeSchema>;

export const logLineSchema = z
  .object({
    job_id: z.string(),
    seq: z.number().int().openapi({ description: "Order within the job; pass the last one as after_seq to tail." }),
    at: isoTime,
    level: logLevelSchema,
    message: z.string(),
    serial: z.string().nullable(),
  })
  .openapi("LogLine");
export type LogLine = z.infer<typeof logLineSchema>;

const nextCursor = z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page." });

export const runPageSchema = z.object({ data: z.array(runSummarySchema), next_cursor: nextCursor }).openapi("RunPage");
export const recordPageSchema = z.object({ data: z.array(recordOutcomeSchema), next_cursor: nextCursor }).openapi("RecordOutcomePage");
export const logPageSchema = z
  .object({
    data: z.array(logLineSchema),
    next_cursor: z.string().nullable().openapi({ description: "The last seq when more lines follow: pass it as after_seq." }),
  })
  .openapi("LogPage");
export type RunPage = z.infer<typeof runPageSchema>;
export type RecordOutcomePage = z.infer<typeof recordPageSchema>;
export type LogPage = z.infer<typeof logPageSchema>;

// Query strings: every value arrives as a string.
const limit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback).openapi({ type: "integer", minimum: 1, maximum: max, default: fallback });
const timeBound = (description: string) =>
  z
    .string()
    .min(1)
    .max(40)
    .optional()
    .openapi({ description: `${description}: ${TIME_INPUT_HELP}.`, example: "24h" });

export const RUN_LIST_MAX_LIMIT = 200;

export const runListQuerySchema = z.object({
  status: runStatusSchema.optional(),
  connection: z.string().min(1).max(64).optional().openapi({ description: "Connection id: runs that have a job for it." }),
  credential: z.string().min(1).max(64).optional().openapi({ description: "Credential id." }),
  type: runTypeSchema.optional(),
  mode: runModeSchema.optional(),
  since: timeBound("Created at or after (inclusive)"),
  until: timeBound("Created before (exclusive)"),
  serial: z.string().min(1).max(200).optional().openapi({
    description:
      "Single runs of this serial, and runs where it was changed, failed or missing (the ledger keeps up to 1,000 such outcomes per job; unchanged outcomes live only in the job archive).",
  }),
  cursor: z.string().min(1).max(64).optional().openapi({ description: "`next_cursor` of the previous page." }),
  limit: limit(RUN_LIST_MAX_LIMIT, 50),
});

export const idParamsSchema = (example: string) =>
  z.object({
    id: z
      .string()
      .min(1)
      .max(64)
      .openapi({ param: { name: "id", in: "path" }, example }),
  });

export const recordListQuerySchema = z.object({
  action: recordActionSchema.optional(),
  serial: z.string().min(1).max(200).optional().openapi({ description: "Serials starting with this text." }),
  cursor: z.string().min(1).max(200).optional().openapi({ description: "`next_cursor` of the previous page." }),
  limit: limit(500, 100),
  format: z.enum(["json", "csv"]).optional().openapi({ description: "csv streams every matching record (no paging); so does Accept: text/csv." }),
});

export const logListQuerySchema = z.object({
  level: z
    .string()
    .regex(new RegExp(`^(${LOG_LEVELS.join("|")})(,(${LOG_LEVELS.join("|")}))*$`), "Expected levels separated by commas, e.g. INFO,WARN,ERROR.")
    .optional()
    .openapi({ description: "One level or several separated by commas.", example: "WARN,ERROR" }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .openapi({ description: "Full-text search over message and serial; words must all match, the last as a prefix." }),
  after_seq: z.coerce.number().int().min(0).optional().openapi({ type: "integer", description: "Only lines after this seq: the live tail's cursor." }),
  limit: limit(1000, 200),
  download: z.enum(["0", "1", "true", "false"]).optional().openapi({ description: "1 answers every matching line as a text/plain attachment." }),
});

export const createRunBodySchema = z
  .strictObject({
    credential_id: z.string().min(1).max(100).openapi({ example: "cred_demo_fleet" }),
    type: runTypeSchema,
    serial: z.string().trim().min(1).max(200).optional().openapi({ description: "Required for a single run.", example: "DEV-00001" }),
    mode: runModeSchema.optional().openapi({ description: "Absent: each connection runs in its own dry-run setting." }),
    connection_ids: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: "A subset of the credential's enabled connections; absent means all of them." }),
    reset: z
      .boolean()
      .optional()
      .openapi({
        description:
          "Full runs: complete reconciliation, every source record whatever each connection's cursor. A live job also clears the " +
          "connection's cursor and retry list first; a dry job leaves both, so the next live run is the one it would have been.",
      }),
  })
  .openapi("CreateRunRequest");
// The body as a client sends it (the web app types its requests with this).
export type CreateRunRequest = z.input<typeof createRunBodySchema>;

export const rerunBodySchema = z
  .strictObject({
    scope: z.enum(RERUN_SCOPES).openapi({ description: "failed: only the connections whose jobs failed; all: every connection of the run." }),
  })
  .openapi("RerunRequest");

export const planStateSchema = z.enum(["ready", "expired", "outdated", "applied", "empty", "not_dry", "not_finished"]).openapi("PlanState", {
  description:
    "ready: can be applied; expired: older than settings plans.ttl_hours; outdated: a connection changed since the dry run; applied: an apply run " +
    "of it is pending, running or completed; empty: nothing to write; not_dry: a live run; not_finished: the dry run is still pending or running.",
});

export const runPlanSchema = z
  .object({
    run_id: z.string(),
    state: planStateSchema,
    expires_at: isoTimeOrNull.openapi({ description: "When the plan stops being applicable; null until the dry run finishes." }),
    applied_by_run_id: z.string().nullable().openapi({ description: "The apply run that is pending, running or completed, if any." }),
    connections: z.array(
      z.object({
        connection_id: z.string(),
        connection_name: z.string(),
        job_id: z.string().openapi({ description: "The dry job whose planned writes an apply sends." }),
        planned_version: z.number().int().openapi({ description: "The connection version the dry job ran with." }),
        current_version: z.number().int().nullable().openapi({ description: "The connection's version now; null when it was deleted." }),
        would_update: z.number().int().openapi({ description: "Planned writes." }),
      }),
    ),
  })
  .openapi("RunPlan");

export const applyRunResponseSchema = z.object({ run: runDetailSchema }).openapi("ApplyRunResponse");
