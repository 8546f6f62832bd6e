import { z } from "@hono/zod-openapi";
import { ROLES } from "../auth/principal";
import { nameSchema, pageSchema, timestampSchema } from "./common";

export const roleSchema = z.enum(ROLES).openapi({
  description: "viewer reads; operator also runs and cancels; admin also configures and manages tokens.",
});

export const MAX_TOKEN_LIFETIME_DAYS = 365;
const DAY_MS = 86_400_000;

export const createTokenBodySchema = z
  .strictObject({
    name: nameSchema(100).openapi({ example: "ci-nightly" }),
    role: roleSchema,
    expires_in_days: z
      .number()
      .int()
      .min(1)
      .max(MAX_TOKEN_LIFETIME_DAYS)
      .optional()
      .openapi({
        description: `Days until the token stops working (1 to ${MAX_TOKEN_LIFETIME_DAYS}). Omit both this and expires_at for a token that never expires.`,
        example: 90,
      }),
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: `When the token stops working: in the future, at most ${MAX_TOKEN_LIFETIME_DAYS} days ahead.`, example: "2027-03-31T00:00:00Z" }),
  })
  .superRefine((body, ctx) => {
    if (body.expires_at === undefined) return;
    if (body.expires_in_days !== undefined) {
      ctx.addIssue({ code: "custom", path: ["expires_at"], message: "Give expires_at or expires_in_days, not both." });
      return;
    }
    const at = Date.parse(body.expires_at);
    const now = Date.now();
    if (at <= now) ctx.addIssue({ code: "custom", path: ["expires_at"], message: "expires_at must be in the future." });
    else if (at > now + MAX_TOKEN_LIFETIME_DAYS * DAY_MS) {
      ctx.addIssue({ code: "custom", path: ["expires_at"], message: `expires_at may be at most ${MAX_TOKEN_LIFETIME_DAYS} days ahead.` });
    }
  })
  .openapi("CreateApiTokenRequest");
export type CreateTokenBody = z.infer<typeof createTokenBodySchema>;

/** The expiry a valid create body asks for, in ms since the epoch; null never expires. */
export function requestedTokenExpiry(body: Pick<CreateTokenBody, "expires_in_days" | "expires_at">, now: number): number | null {
  if (body.expires_at !== undefined) return Date.parse(body.expires_at);
  if (body.expires_in_days !== undefined) return now + body.expires_in_days * DAY_MS;
  return null;
}

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
    expires_at: timestampSchema.nullable().openapi({ description: "When the token stops working; null never expires. Past means expired." }),
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
