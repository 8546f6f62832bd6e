import { z } from "@hono/zod-openapi";

export const validationDetailSchema = z
  .object({
    path: z.string().openapi({ example: "config.fetch.url_template" }),
    message: z.string().openapi({ example: "URL template must contain {serial}" }),
    in: z.enum(["body", "query", "path", "header"]).optional(),
  })
  .openapi("ValidationDetail");

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "validation_failed" }),
      message: z.string().openapi({ example: "Invalid request body: config.fetch.url_template: URL template must contain {serial}" }),
      details: z.array(validationDetailSchema).openapi({
        description:
          "The fields at fault, one entry per problem (a field with two problems has two entries); empty when no field is. " +
          "The same shape on every status.",
      }),
      hint: z.string().optional().openapi({ description: "What to do next, when the message does not say it." }),
      meta: z
        .record(z.string(), z.unknown())
        .optional()
        .openapi({
          description:
            "Machine-readable facts about the refusal, by code: version_conflict {current_version, expected_version}, " +
            "payload_too_large {max_bytes}, too_many_records {max_records}, unsupported_media_type {accepted}, " +
            "forbidden {required_role, role}, cross_site_request {origin, sec_fetch_site}, idempotency_key_reused {run_id}.",
        }),
    }),
  })
  .openapi("Error");

export const timestampSchema = z.string().openapi({ format: "date-time", example: "2026-11-22T12:34:56.000Z" });

export const statusDetailSchema = z.string().nullable().openapi({
  description: 'A completed status that is not a plain success, e.g. "Completed with 3 failed records"; null otherwise.',
  example: "Completed with 3 failed records",
});

/** A connection's last status: the status of its newest finished job, and what that job left failed. */
export const lastStatusFields = {
  last_status: z.string().nullable(),
  last_failed_records: z.number().int().openapi({ description: "Failed records of the job the last status came from." }),
  last_status_detail: statusDetailSchema,
};

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      data: z.array(item),
      next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page." }),
    })
    .openapi(name);
}

export const idParamsSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: "id", in: "path" }, example: "conn_demo_json" }),
});

// A name is one line people read in lists, logs, alerts and configuration documents (where it is the key): a control
// character in one (NUL, a tab, a line break) prints as nothing or breaks the line it is on, and two names that differ
// only by one look the same.
function isControl(char: string): boolean {
  const code = char.codePointAt(0)!;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

export function nameSchema(max: number) {
  return z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => ![...value].some(isControl), { message: "a name is one line of text: no control characters (NUL, tab, line break)" });
}

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 500;

export const listQuerySchema = z.object({
  cursor: z.string().min(1).max(1000).optional().openapi({ description: "`next_cursor` of the previous page." }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(DEFAULT_PAGE_LIMIT)
    .openapi({ type: "integer", description: `Items per page, 1–${MAX_PAGE_LIMIT}.`, example: 50 }),
});

const STATUS_DESCRIPTIONS = {
  400: "Invalid input; `details` names each offending field.",
  401: "No valid API token or Cloudflare Access identity.",
  403: "The caller's role is below the route's minimum role (x-min-role).",
  404: "No such resource.",
  409: "Conflicts with the current state (see the message).",
  413: "The request body is too large.",
  415: "Unsupported request content type.",
  503: "The deployment is misconfigured (e.g. SECRETS_KEY missing); see the hint.",
} as const;
export type ErrorStatus = keyof typeof STATUS_DESCRIPTIONS;

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

/** Error responses for a route; 401 and 403 are added to every authenticated route. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const out = {} as Record<S | 401 | 403, ReturnType<typeof jsonContent<typeof errorBodySchema>>>;
  for (const status of [...statuses, 401, 403] as Array<S | 401 | 403>) {
    out[status] = jsonContent(errorBodySchema, STATUS_DESCRIPTIONS[status]);
  }
  return out;
}

/** For routes anyone may call. */
export function publicErrorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const out = {} as Record<S, ReturnType<typeof jsonContent<typeof errorBodySchema>>>;
  for (const status of statuses) out[status] = jsonContent(errorBodySchema, STATUS_DESCRIPTIONS[status]);
  return out;
}
