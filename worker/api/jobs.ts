import { createRoute, z } from "@hono/zod-openapi";
import type { TypedResponse } from "hono";
import { minRole } from "../auth/middleware";
import type { LogLevel } from "../schemas/vocabulary";
import { readJobDetail, type LogListFilters, type RecordListFilters } from "../ledger/run-reads";
import { jobLogs, jobRecords, listJobLogs, listJobRecords, openJobHistory } from "../archive/job-history";
import { notFoundError, type ApiError } from "./errors";
import { logTextLine } from "./log-text";
import { csvLine, RECORD_CSV_HEADER, recordCsvRows } from "./record-csv";
import { asksForCsv, csvResponse, textStream } from "./text-stream";
import { createRouter } from "./router";
import { idParamsSchema, jobDetailSchema, logListQuerySchema, logPageSchema, recordListQuerySchema, recordPageSchema } from "../schemas/runs";
import { errorResponses, jsonContent } from "../schemas/common";

// Mounted at /api/jobs; expects `authenticate()` to have run on /api/*.
export const jobsRouter = createRouter();

const jobIdParams = idParamsSchema("job_01jd7v0q2k8x3c5n4m6p7r8s9t");

const getJobRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "getJob",
  path: "/{id}",
  tags: ["Jobs"],
  summary: "Get a job",
  description: "Counters, progress, the contract version it ran with, duration, and on failure the error with its hint.",
  request: { params: jobIdParams },
  responses: {
    200: jsonContent(jobDetailSchema, "The job and a summary of its run."),
    ...errorResponses(404),
  },
});

const listRecordsRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listJobRecords",
  path: "/{id}/records",
  tags: ["Jobs"],
  summary: "List a job's record outcomes",
  description:
    "By serial. `format=csv` (or `Accept: text/csv`) streams every matching outcome as CSV, one row per changed field " +
    "with before and after, ignoring cursor and limit.",
  request: { params: jobIdParams, query: recordListQuerySchema },
  responses: {
    200: {
      description: "One page of outcomes, or the CSV export.",
      content: {
        "application/json": { schema: recordPageSchema },
        "text/csv": { schema: z.string().openapi({ description: `Columns: ${RECORD_CSV_HEADER.join(", ")}.` }) },
      },
    },
    ...errorResponses(400, 404),
  },
});

const listLogsRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listJobLogs",
  path: "/{id}/logs",
  tags: ["Jobs"],
  summary: "List a job's log lines",
  description: "In order. For a live tail, pass the last seq seen as `after_seq`. `download=1` answers every matching line as a " + "text/plain attachment.",
  request: { params: jobIdParams, query: logListQuerySchema },
  responses: {
    200: {
      description: "One page of lines, or the download.",
      content: {
        "application/json": { schema: logPageSchema },
        "text/plain": { schema: z.string().openapi({ description: "One line per log line: time, level, [serial], message." }) },
      },
    },
    ...errorResponses(400, 404),
  },
});

jobsRouter.openapi(getJobRoute, async (c) => {
  const { id } = c.req.valid("param");
  const job = await readJobDetail(c.env.LEDGER, id);
  if (!job) throw notFound(id);
  return c.json(job, 200);
});

jobsRouter.openapi(listRecordsRoute, async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  const csv = asksForCsv(query.format, c.req.header("Accept"));
  const filters: RecordListFilters = { action: query.action, serialPrefix: query.serial, cursor: query.cursor, limit: query.limit };
  const history = await openJobHistory(c.env, id);
  if (!history) throw notFound(id);
  if (!csv) {
    const page = await listJobRecords(history, filters);
    return c.json({ data: page.data, next_cursor: page.nextCursor }, 200);
  }

  const stream = textStream({
    items: jobRecords(history, { action: filters.action, serialPrefix: filters.serialPrefix }),
    render: (record) => recordCsvRows(record).map(csvLine).join(""),
    header: csvLine(RECORD_CSV_HEADER),
  });
  return csvResponse(stream, `${id}-records.csv`);
});

jobsRouter.openapi(listLogsRoute, async (c) => {
  const { id } = c.req.valid("param");
  const query = c.req.valid("query");
  const filters: LogListFilters = {
    levels: query.level === undefined ? undefined : (query.level.split(",") as LogLevel[]),
    search: query.q,
    afterSeq: query.after_seq,
    limit: query.limit,
  };
  const history = await openJobHistory(c.env, id);
  if (!history) throw notFound(id);
  if (query.download !== "1" && query.download !== "true") {
    const page = await listJobLogs(history, filters);
    return c.json({ data: page.data, next_cursor: page.nextCursor }, 200);
  }

  const stream = textStream({ items: jobLogs(history, { levels: filters.levels, search: filters.search, afterSeq: filters.afterSeq }), render: logTextLine });
  const response = new Response(stream, {
    status: 200,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Disposition": `attachment; filename="${id}-logs.txt"`,
    },
  });
  // The route's types expect c.text() for text/plain; a streamed body is the same response on the wire.
  return response as unknown as TypedResponse<string, 200, "text">;
});

function notFound(id: string): ApiError {
  return notFoundError("job", id);
}
