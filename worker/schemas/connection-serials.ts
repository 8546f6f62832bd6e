import { z } from "@hono/zod-openapi";
import { MAX_PAGE_LIMIT, timestampSchema } from "./common";
import { recordActionSchema, runModeSchema } from "./runs";

export const connectionSerialQuerySchema = z.object({
  action: recordActionSchema.optional().openapi({ description: "Only serials whose latest outcome is this action, e.g. failed." }),
  serial: z.string().min(1).max(200).optional().openapi({ description: "Serials starting with this text." }),
  cursor: z.string().min(1).max(1000).optional().openapi({ description: "`next_cursor` of the previous page." }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(100)
    .openapi({ type: "integer", description: `Serials per page, 1–${MAX_PAGE_LIMIT}.`, example: 100 }),
  format: z.enum(["json", "csv"]).optional().openapi({ description: "csv streams every matching serial (no paging, no counts); so does Accept: text/csv." }),
});

export const CONNECTION_SERIAL_CSV_HEADER = ["serial", "action", "since", "mode", "job_id", "run_id", "job_kept"];

export const connectionSerialSchema = z
  .object({
    serial: z.string(),
    action: recordActionSchema.openapi({ description: "The serial's latest outcome on this connection, from any run (dry or live, full or single)." }),
    since: timestampSchema.openapi({
      description: "When the serial's outcome became this action: a serial failing run after run keeps its first failure's time.",
    }),
    job_id: z.string().openapi({ description: "The job that recorded it." }),
    run_id: z.string(),
    mode: runModeSchema.nullable().openapi({ description: "That run's mode; null once retention has deleted the run." }),
    job_kept: z.boolean().openapi({ description: "False once retention has deleted the job: the outcome is kept for the fleet, its job's history is not." }),
  })
  .openapi("ConnectionSerial");
export type ConnectionSerial = z.infer<typeof connectionSerialSchema>;

export const connectionSerialPageSchema = z
  .object({
    data: z.array(connectionSerialSchema),
    next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last page." }),
    counts: z
      .record(recordActionSchema, z.number().int())
      .nullable()
      .openapi({
        description:
          "The first page only (no cursor): how many of the connection's serials hold each action now, whatever `action` and `serial` say. " +
          "Each count stops at `count_cap` + 1, so a larger number reads as “more than count_cap”.",
      }),
    count_cap: z.number().int(),
  })
  .openapi("ConnectionSerialPage");
export type ConnectionSerialPage = z.infer<typeof connectionSerialPageSchema>;

export const serialStandingQuerySchema = z.object({
  serial: z.string().trim().min(1).max(200).openapi({ description: "The serial, exactly.", example: "DEV-00001" }),
});

export const serialStandingSchema = z
  .object({
    serial: z.string(),
    connections: z
      .array(
        connectionSerialSchema.omit({ serial: true }).extend({
          connection_id: z.string(),
          connection_name: z.string(),
          credential_id: z.string(),
        }),
      )
      .openapi({ description: "Every connection that has decided the serial, in each credential's execution order; a connection that never did is left out." }),
  })
  .openapi("SerialStanding");
export type SerialStanding = z.infer<typeof serialStandingSchema>;
