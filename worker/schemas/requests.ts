import { z } from "@hono/zod-openapi";
import { REQUEST_PHASES } from "../engine/errors";
import { REQUEST_RETRY_REASONS } from "../engine/http-client";
import { timestampSchema } from "./common";

// The request inspector's shapes: one entry per HTTP attempt of a job, read from the job's archive.

export const REQUEST_STATUS_CLASSES = ["2xx", "3xx", "4xx", "5xx", "error"] as const;
export type RequestStatusClass = (typeof REQUEST_STATUS_CLASSES)[number];

/** "error": no status (a timeout, a network error) or none of the classes. */
export function statusClassOf(status: number | null): RequestStatusClass {
  if (status === null || status < 200 || status >= 600) return "error";
  return `${Math.floor(status / 100)}xx` as RequestStatusClass;
}

export const REQUEST_BODY_EXCERPT_DEFAULT = 2048;
export const REQUEST_BODY_EXCERPT_MAX = 65_536;

const headersSchema = z.record(z.string(), z.string());

export const requestEntrySchema = z
  .object({
    seq: z.number().int().openapi({ description: "Per job, increasing in the order the attempts ended." }),
    at: timestampSchema.openapi({ description: "When the attempt was sent." }),
    phase: z.enum(REQUEST_PHASES),
    method: z.string().openapi({ example: "PATCH" }),
    url: z.string().openapi({ description: "As sent, credential values masked." }),
    request_headers: headersSchema.openapi({
      description: 'Every header sent; credential headers, Authorization, Proxy-Authorization and Cookie are "[redacted]".',
    }),
    request_body: z.string().nullable().openapi({ description: "An excerpt of at most request_log.body_excerpt_bytes; null for viewers (bodies_hidden)." }),
    status: z.number().int().nullable().openapi({ description: "null after a timeout or a network error." }),
    duration_ms: z.number().int(),
    attempt: z.number().int().min(1),
    retry_reason: z.enum(REQUEST_RETRY_REASONS).nullable().openapi({ description: "On attempts after the first: why the previous one was retried." }),
    concurrency: z.number().int().min(1).nullable().openapi({
      description:
        "How many requests the job allowed in flight when this one was sent (the connection's concurrency, lowered while the destination pushes back); null for token requests and entries archived before it was recorded.",
      example: 6,
    }),
    error: z.string().nullable().openapi({ example: "timed out after 10000 ms" }),
    response_headers: headersSchema.openapi({
      description:
        "Only content-type, content-length, location, retry-after, www-authenticate, x-request-id, x-correlation-id, x-ratelimit-remaining and x-ratelimit-reset.",
    }),
    response_body: z.string().nullable().openapi({ description: "An excerpt, like request_body; null for viewers." }),
    serials: z.array(z.string()).openapi({
      description: "The serials the request is about (a lookup's, a write's, a bulk write's); empty for source and listing pages and token requests.",
    }),
    truncated: z.boolean().openapi({ description: "A body was longer than the excerpt and was cut." }),
    bodies_hidden: z.boolean().openapi({ description: "True for viewers: bodies may hold personal data and are shown to operators and admins only." }),
  })
  .openapi("RequestEntry");
export type RequestEntry = z.infer<typeof requestEntrySchema>;

export const requestPageSchema = z
  .object({
    data: z.array(requestEntrySchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as cursor for the next page; null on the last one." }),
  })
  .openapi("RequestEntryPage");
export type RequestEntryPage = z.infer<typeof requestPageSchema>;

export const requestListQuerySchema = z.object({
  serial: z.string().min(1).max(200).optional().openapi({ description: "Requests about this serial (exact)." }),
  status: z.enum(REQUEST_STATUS_CLASSES).optional().openapi({ description: "Status class; error = no status (timeout, network error)." }),
  method: z
    .string()
    .regex(/^[A-Za-z]{1,16}$/, "Expected an HTTP method, e.g. GET.")
    .optional()
    .openapi({ example: "PATCH" }),
  url: z.string().min(1).max(500).optional().openapi({ description: "Text the URL contains (case-insensitive)." }),
  phase: z.enum(REQUEST_PHASES).optional(),
  cursor: z.string().min(1).max(200).optional().openapi({ description: "`next_cursor` of the previous page." }),
  limit: z.coerce.number().int().min(1).max(500).default(100).openapi({ type: "integer", minimum: 1, maximum: 500, default: 100 }),
});

export const requestParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" }, example: "job_01jd7v0q2k8x3c5n4m6p7r8s9t" }),
  seq: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ param: { name: "seq", in: "path" }, type: "integer", example: 12 }),
});

export const requestLogSettingSchema = z
  .strictObject({
    body_excerpt_bytes: z
      .number()
      .int()
      .min(0)
      .max(REQUEST_BODY_EXCERPT_MAX)
      .openapi({ description: "How much of each request and response body the request log keeps (UTF-8 bytes); 0 keeps none." }),
  })
  .openapi("RequestLogSetting");
export type RequestLogSetting = z.output<typeof requestLogSettingSchema>;
