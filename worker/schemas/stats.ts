import { z } from "@hono/zod-openapi";
import { RUN_STATUSES } from "./vocabulary";
import { ATTENTION_REASONS } from "../stats/attention";
import { TIME_INPUT_HELP } from "../stats/time-range";
import { lastStatusFields, timestampSchema } from "./common";

const timeInput = (description: string, example: string) =>
  z
    .string()
    .min(1)
    .max(40)
    .optional()
    .openapi({ description: `${description}: ${TIME_INPUT_HELP}.`, example });

export const statsQuerySchema = z.object({
  since: timeInput("Start of the window (jobs and runs created at or after it); default 24 hours before `until`", "24h"),
  until: timeInput("End of the window (exclusive); default now", "2026-11-22T00:00:00Z"),
  no_success_since: timeInput(
    "List connections whose last successful sync (completed live job; a dry run writes nothing) is older than this, or that never had one; default 3 days ago",
    "3d",
  ),
  failures_limit: z.coerce.number().int().min(0).max(100).default(10).openapi({
    type: "integer",
    description: "How many of the window's failed jobs to list, newest first (the count covers all).",
  }),
  recent_per_connection: z.coerce.number().int().min(0).max(50).default(20).openapi({
    type: "integer",
    description: "How many of each connection's newest jobs to return for its sparkline.",
  }),
});
export type StatsQuery = z.output<typeof statsQuerySchema>;

const statusCountsSchema = z.object(Object.fromEntries(RUN_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof RUN_STATUSES)[number], z.ZodNumber>);

const tallySchema = z.object({
  total: z.number().int(),
  by_status: statusCountsSchema,
  success_rate: z.number().nullable().openapi({
    description: "completed / (completed + failed), 0–1; canceled and unfinished ones do not count. Null when none finished.",
    example: 0.96,
  }),
});

export const durationStatsSchema = z
  .object({
    completed_jobs: z.number().int().openapi({ description: "Completed jobs the durations are computed over." }),
    average_ms: z.number().int().nullable(),
    p50_ms: z.number().int().nullable().openapi({ description: "Median (nearest rank), within 2% + 1 ms: read from the hourly duration histogram." }),
    p95_ms: z.number().int().nullable().openapi({ description: "95th percentile (nearest rank), within 2% + 1 ms: read from the hourly duration histogram." }),
    min_ms: z.number().int().nullable(),
    max_ms: z.number().int().nullable(),
  })
  .openapi("DurationStats");
export type DurationStats = z.infer<typeof durationStatsSchema>;

const jobErrorSchema = z.object({
  code: z.string().nullable(),
  http_status: z.number().int().nullable(),
  message: z.string().nullable(),
  hint: z.string().nullable(),
});

const failedJobSchema = z.object({
  job_id: z.string(),
  run_id: z.string(),
  connection_id: z.string(),
  connection_name: z.string(),
  mode: z.enum(["dry", "live"]),
  trigger: z.string(),
  error: jobErrorSchema,
  created_at: timestampSchema,
  finished_at: timestampSchema.nullable(),
  duration_ms: z.number().int().nullable(),
});

const recentJobSchema = z.object({
  job_id: z.string(),
  status: z.enum(RUN_STATUSES),
  duration_ms: z.number().int().nullable(),
  created_at: timestampSchema,
});

const connectionHealthSchema = z.object({
  id: z.string(),
  name: z.string(),
  credential_id: z.string(),
  credential_name: z.string(),
  enabled: z.boolean(),
  schedule: z.string().nullable(),
  ...lastStatusFields,
  last_run_at: timestampSchema.nullable(),
  last_success_at: timestampSchema.nullable(),
});

export const connectionStatsSchema = connectionHealthSchema
  .extend({
    jobs: tallySchema,
    durations: durationStatsSchema,
    recent_jobs: z.array(recentJobSchema).openapi({ description: "Newest first; the connection's sparkline." }),
  })
  .openapi("ConnectionStats");
export type ConnectionStats = z.infer<typeof connectionStatsSchema>;

export const statsResponseSchema = z
  .object({
    window: z.object({ since: timestampSchema, until: timestampSchema }),
    jobs: tallySchema,
    runs: tallySchema,
    durations: durationStatsSchema,
    failures: z.object({ count: z.number().int(), recent: z.array(failedJobSchema) }),
    connections: z.array(connectionStatsSchema),
    without_success: z.object({
      since: timestampSchema,
      connections: z
        .array(
          connectionHealthSchema.extend({
            attention: z.enum(ATTENTION_REASONS).openapi({
              description:
                "not_run_yet: the connection never ran (new, not failing); never_succeeded: it ran but no live job completed; no_success_since: its last live success is older than `since`.",
            }),
          }),
        )
        .openapi({
          description:
            "Connections with no completed live job since `since` (a dry run writes nothing, so it is no sync), oldest success first, never first of all.",
        }),
    }),
    credentials: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          attention: z.enum(["refresh_refused", "not_connected"]).openapi({
            description:
              "refresh_refused: the provider refused the refresh token kept (revoked, expired, already used); not_connected: connections use it and it has no refresh token yet.",
          }),
          message: z.string().nullable().openapi({ description: "The provider's refusal, as the credential keeps it." }),
          since: timestampSchema.nullable().openapi({ description: "When the provider refused it." }),
          connection_count: z.number().int(),
        }),
      )
      .openapi({ description: "oauth2_refresh_token credentials whose runs cannot get a token until someone connects them again, by name." }),
  })
  .openapi("Stats");
export type StatsResponse = z.infer<typeof statsResponseSchema>;
