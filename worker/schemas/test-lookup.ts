import { z } from "@hono/zod-openapi";

export const testLookupBodySchema = z
  .strictObject({
    serial: z.string().trim().min(1).max(256).openapi({ example: "DEV-00001" }),
    contract: z
      .enum(["fetch", "source"])
      .default("fetch")
      .openapi({ description: "fetch (default): the destination record through the fetch contract; source: the source record through the source contract." }),
  })
  .openapi("TestLookupRequest");

export const LOOKUP_OUTCOMES = ["found", "missing", "error"] as const;

export const testLookupResultSchema = z
  .object({
    outcome: z.enum(LOOKUP_OUTCOMES),
    request: z
      .object({
        method: z.string(),
        url: z.string(),
        status: z.number().int().nullable().openapi({ description: "null when no response arrived." }),
        duration_ms: z.number(),
      })
      .nullable()
      .openapi({ description: "The last request made; list mode may read several pages." }),
    requests: z.number().int().openapi({ description: "Requests made to the destination, retries and pages included." }),
    raw_response: z.string().nullable().openapi({
      description: "Body of the last response, truncated; secrets of the credential are masked.",
    }),
    raw_response_truncated: z.boolean(),
    record: z.unknown().openapi({ description: "The record the contract resolved (the destination's, or the source's), or null." }),
    missing_reason: z.string().optional().openapi({ description: "Why the serial counts as Missing Destination (or Missing Source)." }),
    detail: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string(), hint: z.string(), http_status: z.number().int().nullable() }).optional(),
  })
  .openapi("TestLookupResult");
export type TestLookupResult = z.infer<typeof testLookupResultSchema>;
