import { z } from "@hono/zod-openapi";

export const healthResponseSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    version: z.string().openapi({ example: "0.1.0" }),
    d1: z.object({
      ok: z.boolean(),
      latency_ms: z.number(),
      code: z.enum(["ledger_unreachable", "no_migrations"]).optional(),
      error: z.string().optional().openapi({ description: 'A fixed message for `code`, e.g. "ledger unreachable".' }),
    }),
    migrations: z.object({ applied: z.array(z.string()), latest: z.string().nullable() }),
    sandbox: z.boolean().openapi({ description: "Whether the demo destination is mounted under /sandbox." }),
    demo_credential_id: z.string().nullable().openapi({
      description: "With DEMO_SEED on, the demo credential, whose connections share one sandbox fleet (the dashboard says so); otherwise null.",
    }),
    scheduler: z.object({
      minute_tick_at: z.string().nullable().openapi({ format: "date-time" }),
      daily_tick_at: z.string().nullable().openapi({ format: "date-time" }),
      heartbeat: z
        .object({
          last_at: z.string().nullable().openapi({ format: "date-time" }),
          last_ok: z.boolean().nullable(),
          last_status: z.number().int().nullable(),
        })
        .nullable()
        .openapi({
          description:
            "The heartbeat URL's last call by the minute tick (Settings); null when none is set. Neither the URL nor the error text is shown here: health is public.",
        }),
    }),
  })
  .openapi("Health");
export type HealthResponse = z.infer<typeof healthResponseSchema>;
