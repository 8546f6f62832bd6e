import { createRoute, z } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import { RECORD_ACTIONS } from "../engine/reconcile";
import { getConnection } from "../ledger/connections";
import { countLatestOutcomes, everyLatestOutcome, LATEST_COUNT_CAP, listLatestOutcomes } from "../ledger/latest-outcomes";
import { decodeCursor, isStringTuple1, pageOf } from "./cursor";
import { notFoundError } from "./errors";
import { csvLine } from "./record-csv";
import { asksForCsv, csvResponse, textStream } from "./text-stream";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema } from "../schemas/common";
import { CONNECTION_SERIAL_CSV_HEADER, connectionSerialPageSchema, connectionSerialQuerySchema } from "../schemas/connection-serials";

// Mounted at /api/connections: each serial's latest outcome on a connection, across runs (D1's latest_outcomes).
export const connectionSerials = createRouter();

const listRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listConnectionSerials",
  path: "/{id}/serials",
  tags: ["Connections"],
  summary: "Each serial's latest outcome on a connection",
  description:
    "Where each serial of the fleet stands on this connection now, across runs: its latest outcome, since when, and the job that recorded it. " +
    "`action=failed` lists the serials failing now. In serial order; kept for as long as the connection exists, not by the retention window.",
  request: { params: idParamsSchema, query: connectionSerialQuerySchema },
  responses: {
    200: {
      description: "A page of serials, or the CSV export.",
      content: {
        "application/json": { schema: connectionSerialPageSchema },
        "text/csv": { schema: z.string().openapi({ description: `Columns: ${CONNECTION_SERIAL_CSV_HEADER.join(", ")}.` }) },
      },
    },
    ...errorResponses(400, 404),
  },
});

connectionSerials.openapi(listRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { action, serial, cursor, limit, format } = c.req.valid("query");
  if (asksForCsv(format, c.req.header("Accept"))) {
    if ((await getConnection(c.env.LEDGER, id)) === null) throw notFoundError("connection", id);
    const stream = textStream({
      items: everyLatestOutcome(c.env.LEDGER, id, { action, serialPrefix: serial }),
      render: (row) => csvLine([row.serial, row.action, row.since, row.mode ?? "", row.job_id, row.run_id, String(row.job_kept)]),
      header: csvLine(CONNECTION_SERIAL_CSV_HEADER),
    });
    return csvResponse(stream, `${id}-serials.csv`);
  }
  const after = decodeCursor(cursor, isStringTuple1);
  const filters = { action, serialPrefix: serial, afterSerial: after?.[0] };
  // The reads go together: an unknown connection simply has no rows.
  const [connection, rows, counts] = await Promise.all([
    getConnection(c.env.LEDGER, id),
    listLatestOutcomes(c.env.LEDGER, id, filters, limit + 1),
    after === null ? countLatestOutcomes(c.env.LEDGER, id, RECORD_ACTIONS) : null,
  ]);
  if (connection === null) throw notFoundError("connection", id);
  return c.json({ ...pageOf(rows, limit, (last) => [last.serial]), counts, count_cap: LATEST_COUNT_CAP }, 200);
});
