import { z } from "@hono/zod-openapi";
import { CHANNEL_KINDS } from "../alerts/vocabulary";
import { timestampSchema } from "./common";

// Schemas of a connection's alert settings: muting its alerts until a time, and routing a rule's alerts about it
// to another channel.

export const alertsMuteBodySchema = z
  .strictObject({
    until: z.iso
      .datetime({ offset: true })
      .nullable()
      .openapi({ description: "Mute until this time (in the future); null unmutes.", example: "2026-12-07T09:00:00Z" }),
  })
  .openapi("ConnectionAlertsMuteRequest");

export const alertsMuteSchema = z
  .object({
    connection_id: z.string(),
    alerts_muted_until: timestampSchema.nullable().openapi({ description: "Until then no alert about this connection is sent; null: not muted." }),
  })
  .openapi("ConnectionAlertsMute");

const idSchema = z.string().min(1).max(100);

// A connection has at most one route per rule, and rules are few.
export const MAX_ROUTES = 100;

export const alertRoutesBodySchema = z
  .strictObject({
    routes: z
      .array(
        z.strictObject({
          rule_id: idSchema.openapi({ description: "The rule whose alerts about this connection are routed." }),
          channel_id: idSchema.openapi({ description: "The channel they go to instead of the rule's own." }),
        }),
      )
      .max(MAX_ROUTES)
      .openapi({ description: "Every route of the connection: the ones not listed are removed; [] removes all." }),
  })
  .openapi("ConnectionAlertRoutesRequest");

export const alertRouteSchema = z
  .object({
    rule_id: z.string(),
    channel_id: z.string(),
    channel_name: z.string(),
    channel_kind: z.enum(CHANNEL_KINDS),
    created_at: timestampSchema,
  })
  .openapi("ConnectionAlertRoute");
export type AlertRoute = z.infer<typeof alertRouteSchema>;

export const alertRoutesSchema = z
  .object({ data: z.array(alertRouteSchema) })
  .openapi("ConnectionAlertRoutes", { description: "The connection's routes, by rule id." });
