import { z } from "@hono/zod-openapi";
import { FRESHNESS_STATES } from "../schedule/freshness";
import { timestampSchema } from "./common";

// At most 30 days: a longer promise is no freshness promise.
export const freshnessSlaMinutesSchema = z.number().int().min(1).max(43_200).openapi({
  description: "Minutes a success may be late before the connection is Delayed (twice that: Overdue); null judges by the schedule alone.",
  example: 90,
});

export const freshnessSchema = z
  .object({
    state: z.enum(FRESHNESS_STATES).openapi({
      description: "on_time; delayed: one expected success is missing (or the SLA has passed); overdue: two are (or twice the SLA).",
    }),
    last_success_at: timestampSchema.nullable().openapi({
      description: "The newest success that counts: a completed live job, or any completed job while the connection is in dry-run mode.",
    }),
    expected_by: timestampSchema.openapi({ description: "The next success is due by then; after it the state is delayed." }),
    overdue_at: timestampSchema.openapi({
      description: "Still no success by then, the state is overdue. A client showing the state reads it again at each deadline it has not reached.",
    }),
    sla_minutes: z.number().int().nullable(),
  })
  .openapi("Freshness", {
    description: "Null for a disabled, paused or unscheduled connection: no success is expected (after a resume the clock starts again).",
  });
export type FreshnessView = z.infer<typeof freshnessSchema>;
