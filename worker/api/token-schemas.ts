import { z } from "@hono/zod-openapi";
import { ROLES } from "../auth/principal";

export const roleSchema = z.enum(ROLES).openapi({
  description: "viewer reads; operator also runs and cancels; admin also configures and manages tokens.",
});

export const createTokenBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: "ci-nightly" }),
    role: roleSchema,
  })
  .openapi("CreateApiTokenRequest");

export const tokenIdParamsSchema = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" }, example: "tok_01jd7v0q2k8x3c5n4m6p7r8s9t" }),
});

export const apiTokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: roleSchema,
    prefix: z.string().openapi({ description: "First characters of the token, to recognise it.", example: "osk_a_7k2m9q" }),
    created_by: z.string(),
    created_at: z.string().openapi({ format: "date-time" }),
    last_used_at: z.string().nullable().openapi({ format: "date-time", description: "Updated at most once a minute." }),
    revoked_at: z.string().nullable().openapi({ format: "date-time" }),
  })
  .openapi("ApiToken");
export type ApiTokenSummary = z.infer<typeof apiTokenSchema>;

export const createdApiTokenSchema = apiTokenSchema
  .extend({
    token: z.string().openapi({ description: "The token itself. Shown only in this response; store it now." }),
  })
  .openapi("CreatedApiToken");
export type CreatedApiToken = z.infer<typeof createdApiTokenSchema>;

export const apiTokenPageSchema = z
  .object({ data: z.array(apiTokenSchema), next_cursor: z.string().nullable() })
  .openapi("ApiTokenPage");

// Inline rather than a named component, so it cannot clash with the shared error schema.
export const tokenErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
