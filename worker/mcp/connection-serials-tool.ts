import { z } from "zod";
import { RECORD_ACTIONS } from "../engine/reconcile";
import { getConnection } from "../ledger/connections";
import { countLatestOutcomes, LATEST_COUNT_CAP, listLatestOutcomes } from "../ledger/latest-outcomes";
import { dashboardPaths, dashboardUrl } from "../../shared/dashboard-paths";
import { ToolInputError } from "./tool-errors";

export const CONNECTION_SERIALS_TOOL = {
  name: "list_connection_serials",
  title: "List where each serial stands on a connection",
  description:
    "Each serial's latest outcome on one connection, across runs: the action its latest run took (failed, missing_destination, " +
    "missing_source, would_update, updated, skipped_no_change, …), since when it has held it, and the job that recorded it " +
    '(job_id for list_job_records; null once retention deleted the job). Use it for "which devices are failing on connection X ' +
    'right now": {"connection_id":"conn_…","action":"failed"}. counts says how many serials hold each action (each stops at ' +
    `${LATEST_COUNT_CAP.toLocaleString("en")}, then reads as more). Pages of up to 100 in serial order; pass next_cursor as cursor for the next one.`,
  inputSchema: {
    connection_id: z.string().trim().min(1).max(100).describe("The connection (list_connections' connection_id)."),
    action: z.enum(RECORD_ACTIONS).optional().describe("Only serials whose latest outcome is this, e.g. failed."),
    serial: z.string().trim().min(1).max(200).optional().describe("Only serials starting with this text."),
    limit: z.number().int().min(1).max(100).default(20).describe("How many serials to list (1–100, default 20)."),
    cursor: z.string().min(1).max(200).optional().describe("next_cursor of the previous answer."),
  },
};

export type ConnectionSerialsInput = z.output<z.ZodObject<typeof CONNECTION_SERIALS_TOOL.inputSchema>>;

export async function listConnectionSerialsTool(db: D1Database, input: ConnectionSerialsInput, origin: string): Promise<Record<string, unknown>> {
  const connection = await getConnection(db, input.connection_id);
  if (connection === null) throw new ToolInputError(`No connection has the id "${input.connection_id}". Call list_connections to find it.`);
  const filters = { action: input.action, serialPrefix: input.serial, afterSerial: input.cursor };
  const [rows, counts] = await Promise.all([
    listLatestOutcomes(db, connection.id, filters, input.limit + 1),
    countLatestOutcomes(db, connection.id, RECORD_ACTIONS),
  ]);
  const shown = rows.slice(0, input.limit);
  return {
    connection_id: connection.id,
    connection_name: connection.name,
    connection_url: dashboardUrl(origin, dashboardPaths.connection(connection.id)),
    counts: Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)),
    serials: shown.map((row) => ({
      serial: row.serial,
      action: row.action,
      since: row.since,
      mode: row.mode,
      job_id: row.job_kept ? row.job_id : null,
    })),
    next_cursor: rows.length > input.limit ? (shown.at(-1)?.serial ?? null) : null,
  };
}
