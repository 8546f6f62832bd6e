import { z } from "zod";
import { readSerialStanding } from "../ledger/latest-outcomes";
import { dashboardPaths, dashboardUrl } from "../../shared/dashboard-paths";

export const SERIAL_STATUS_TOOL = {
  name: "get_serial_status",
  title: "Where one serial stands on every connection",
  description:
    'For "why did device X not update?": the serial\'s latest outcome on each connection that has decided it (failed, ' +
    "missing_destination, missing_source, would_update, updated, skipped_no_change, …), since when, the run's mode and the job " +
    "that recorded it (job_id for list_job_records; null once retention deleted the job). A connection that never decided the " +
    "serial is left out; an empty list means no run has. runs_url lists the runs that held the serial on the dashboard.",
  inputSchema: {
    serial: z.string().trim().min(1).max(200).describe("The serial, exactly, e.g. DEV-00042."),
  },
};

export type SerialStatusInput = z.output<z.ZodObject<typeof SERIAL_STATUS_TOOL.inputSchema>>;

export async function getSerialStatusTool(db: D1Database, input: SerialStatusInput, origin: string): Promise<Record<string, unknown>> {
  const rows = await readSerialStanding(db, input.serial);
  return {
    serial: input.serial,
    runs_url: dashboardUrl(origin, dashboardPaths.serialRuns(input.serial)),
    connections: rows.map((row) => ({
      connection_id: row.connection_id,
      connection_name: row.connection_name,
      action: row.action,
      since: row.since,
      mode: row.mode,
      job_id: row.job_kept ? row.job_id : null,
      connection_url: dashboardUrl(origin, dashboardPaths.connection(row.connection_id)),
    })),
  };
}
