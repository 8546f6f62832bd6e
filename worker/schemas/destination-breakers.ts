import { z } from "@hono/zod-openapi";
import { BREAKER_STATES } from "../breakers/breaker-state";
import { timestampSchema } from "./common";

const timeOrNull = timestampSchema.nullable();

export const breakerStateSchema = z.enum(BREAKER_STATES).openapi("BreakerState");

export const destinationBreakerSchema = z
  .object({
    host: z.string().openapi({ example: "api.example.com" }),
    state: breakerStateSchema.openapi({
      description: "closed: requests flow. open: jobs sending to the host wait for the next probe. half_open: one run is probing.",
    }),
    opened_at: timeOrNull.openapi({ description: "When it last opened; null while closed." }),
    next_probe_at: timeOrNull.openapi({ description: "While open: when one waiting run may probe the host." }),
    probe_started_at: timeOrNull.openapi({ description: "While half open: when the probe in progress began." }),
    failed_probes: z.number().int().openapi({ description: "Probes failed since it opened; each doubles the wait (30 s up to 10 min)." }),
    last_error: z.string().nullable().openapi({ example: "HTTP 503" }),
    last_failure_at: timeOrNull,
    closed_at: timeOrNull.openapi({ description: "When a probe succeeded or an operator reset it." }),
    updated_at: timestampSchema,
    waiting_jobs: z.number().int().openapi({ description: "Running jobs held back by this breaker." }),
  })
  .openapi("DestinationBreaker");
export type DestinationBreakerView = z.infer<typeof destinationBreakerSchema>;

export const breakerPolicySchema = z
  .object({
    consecutive_failures: z.number().int(),
    window_ms: z.number().int(),
    window_min_requests: z.number().int(),
    window_failure_percent: z.number().int(),
    first_probe_ms: z.number().int(),
    max_probe_ms: z.number().int(),
  })
  .openapi("BreakerPolicy", {
    description:
      "A breaker opens after `consecutive_failures` failed attempts in a row (5xx, timeout, network error; across connections), " +
      "or when at least `window_failure_percent` % of at least `window_min_requests` attempts within `window_ms` failed.",
  });

export const breakerListSchema = z
  .object({
    breakers: z.array(destinationBreakerSchema).openapi({ description: "Every host whose breaker has ever opened: open first, then probing, then closed." }),
    policy: breakerPolicySchema,
  })
  .openapi("DestinationBreakerList");

export const breakerHostParamsSchema = z.object({
  host: z
    .string()
    .min(1)
    .max(260)
    .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, "must be a host name, optionally with :port")
    .openapi({ param: { name: "host", in: "path" }, example: "api.example.com" }),
});
