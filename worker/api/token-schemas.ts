import { z } from "@hono/zod-openapi";
import { ROLES } from "../auth/principal";
import { pageSchema, timestampSchema } from "./schemas/common";

export const roleSchema = z.enum(ROLES).openapi({
  description: "viewer reads; operator also runs and cancels; admin also configures and manages tokens.",
});

export const createTokenBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: "ci-nightly" }),
    role: roleSchema,
  })
  .openapi("CreateApiTokenRequest");

export const apiTokenSchema = z
  .object({
    id: z.string().openapi({ example: "tok_01m821zenwzxfj3pvf03qfc1eh" }),
    name: z.string(),
    role: roleSchema,
    prefix: z.string().openapi({ description: "First characters of the token, to recognise it.", example: "osk_a_7k2m9q" }),
    created_by: z.string(),
    created_at: timestampSchema,
    last_used_at: timestampSchema.nullable().openapi({ description: "Updated at most once a minute." }),
    revoked_at: timestampSchema.nullable(),
  })
  .openapi("ApiToken");
export type ApiTokenSummary = z.infer<typeof apiTokenSchema>;

export const createdApiTokenSchema = apiTokenSchema
  .extend({
    token: z.string().openapi({ description: "The token itself. Shown only in this response; store it now." }),
  })
  .openapi("CreatedApiToken");
export type CreatedApiToken = z.infer<typeof createdApiTokenSchema>;

export const apiTokenPageSchema = pageSchema(apiTokenSchema, "ApiTokenPage");

// GET /api/session: who is calling, whatever the role.
export const sessionSchema = z
  .object({
    kind: z.enum(["token", "access"]).openapi({ description: "An API token or a Cloudflare Access identity." }),
    id: z.string().openapi({ description: "The token's id, or the Access subject.", example: "tok_01m821zenwzxfj3pvf03qfc1eh" }),
    name: z.string().openapi({ description: "The token's name, or the Access email; recorded as who asked for runs and changes." }),
    role: roleSchema,
  })
  .openapi("Session");
export type Session = z.infer<typeof sessionSchema>;
