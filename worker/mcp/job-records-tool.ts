import { z } from "zod";
import { listJobRecords, openJobHistory, type HistoryStores } from "../archive/job-history";
import { RECORD_ACTIONS } from "../engine/reconcile";
import { dashboardPaths, dashboardUrl } from "../../shared/dashboard-paths";
import { ToolInputError } from "./tool-errors";

export const JOB_RECORDS_TOOL = {
  name: "list_job_records",
  title: "List a job's record outcomes",
  description:
    "One job's per-serial outcomes, by serial: the action taken on each source record (updated, would_update, " +
    "skipped_no_change, skipped_rule, missing_source, missing_destination, failed, drifted, verified, verify_mismatch), " +
    "the fields it changed with before and after, the HTTP status, and for a failed record its error. Use it after " +
    'get_job_status to say which serials failed and why: {"job_id":"job_…","action":"failed"}. Pages of up to 100; pass ' +
    "next_cursor as cursor for the next one. job_url is the job's page on the dashboard. Credential values never appear: " +
    "outcomes are stored masked.",
  inputSchema: {
    job_id: z.string().trim().min(1).max(100).describe("The job (get_job_status's jobs[].job_id)."),
    action: z.enum(RECORD_ACTIONS).optional().describe("Only records with this outcome, e.g. failed."),
    serial: z.string().trim().min(1).max(200).optional().describe("Only serials starting with this text."),
    limit: z.number().int().min(1).max(100).default(20).describe("How many records to list (1–100, default 20)."),
    cursor: z.string().min(1).max(200).optional().describe("next_cursor of the previous answer."),
  },
};

export type JobRecordsInput = z.output<z.ZodObject<typeof JOB_RECORDS_TOOL.inputSchema>>;

export async function listJobRecordsTool(stores: HistoryStores, input: JobRecordsInput, origin: string): Promise<Record<string, unknown>> {
  const history = await openJobHistory(stores, input.job_id);
  if (history === null) throw new ToolInputError(`No job has the id "${input.job_id}". Call get_job_status to find the job.`);
  const page = await listJobRecords(history, { action: input.action, serialPrefix: input.serial, cursor: input.cursor, limit: input.limit });
  return {
    job_id: input.job_id,
    job_url: dashboardUrl(origin, dashboardPaths.job(input.job_id)),
    records: page.data.map(({ job_id: _job, run_id: _run, ...record }) => record),
    next_cursor: page.nextCursor,
  };
}
