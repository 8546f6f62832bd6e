import { createRoute } from "@hono/zod-openapi";
import { minRole } from "../auth/middleware";
import type { SourceContract } from "../engine/contracts";
import type { Env } from "../env";
import { getConnection } from "../ledger/connections";
import { listDatasetRecords, writeDatasetRecords } from "../ledger/dataset-records";
import { decodeCursor, isStringTuple1, pageOf } from "./cursor";
import { parseUpload, readUploadText, uploadFormat } from "./dataset-upload";
import { ApiError, notFoundError } from "./errors";
import { createRouter } from "./router";
import { errorResponses, idParamsSchema, jsonContent, listQuerySchema } from "../schemas/common";
import { DATASET_UPLOAD_LIMITS, datasetRecordPageSchema, uploadErrorSchema, uploadQuerySchema, uploadResultSchema } from "../schemas/dataset-records";

export const datasetRecords = createRouter();
const TAGS = ["Datasets"];
const DEFAULT_SERIAL_FIELD = "serial";

// Described by hand rather than with zod: the handler parses the body itself to name lines and fields.
const uploadBody = {
  required: true,
  description:
    `Up to ${DATASET_UPLOAD_LIMITS.max_records.toLocaleString("en")} records and ${DATASET_UPLOAD_LIMITS.max_bytes / (1024 * 1024)} MB. ` +
    'Each record needs its serial in the field "serial". A malformed record refuses the whole upload.',
  content: {
    "application/json": { schema: { type: "array" as const, items: { type: "object" as const } } },
    "application/x-ndjson": { schema: { type: "string" as const, description: "One JSON object per line." } },
    "text/csv": { schema: { type: "string" as const, description: "RFC 4180 with a header row naming the fields." } },
  },
};

const uploadRoute = createRoute({
  ...minRole("admin"),
  method: "post",
  operationId: "uploadDatasetRecords",
  path: "/{id}/records",
  tags: TAGS,
  summary: "Upload records to a dataset connection",
  description:
    "Only for connections whose source kind is `dataset`. The upload is stored in one transaction: all of it or nothing. " +
    "Unchanged records keep their updated_at, so incremental runs skip them.",
  request: { params: idParamsSchema, query: uploadQuerySchema, body: uploadBody },
  responses: {
    200: jsonContent(uploadResultSchema, "Stored; the counts say what changed."),
    ...errorResponses(404, 409, 413, 415),
    400: jsonContent(uploadErrorSchema, "Malformed upload; `details` lists the offending lines (or indexes) and fields. Nothing was stored."),
  },
});

const listRoute = createRoute({
  ...minRole("viewer"),
  method: "get",
  operationId: "listDatasetRecords",
  path: "/{id}/records",
  tags: TAGS,
  summary: "Read a dataset connection's records",
  description: "By serial.",
  request: { params: idParamsSchema, query: listQuerySchema },
  responses: { 200: jsonContent(datasetRecordPageSchema, "A page of records."), ...errorResponses(400, 404, 409) },
});

datasetRecords.openapi(uploadRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { mode } = c.req.valid("query");
  const source = await datasetSource(c.env, id);
  const format = uploadFormat(c.req.header("content-type"));
  const text = await readUploadText(c.req.raw);
  const rows = parseUpload(text, format, { serialPath: serialField(source) });
  const result = await writeDatasetRecords(c.env.LEDGER, id, rows, mode, Date.now());
  return c.json(result, 200);
});

datasetRecords.openapi(listRoute, async (c) => {
  const { id } = c.req.valid("param");
  const { cursor, limit } = c.req.valid("query");
  const after = decodeCursor(cursor, isStringTuple1);
  await datasetSource(c.env, id);
  const rows = await listDatasetRecords(c.env.LEDGER, id, { afterSerial: after?.[0] ?? null, limit: limit + 1 });
  return c.json(
    pageOf(rows, limit, (last) => [last.serial]),
    200,
  );
});

async function datasetSource(env: Env, id: string): Promise<Extract<SourceContract, { kind: "dataset" }>> {
  const connection = await getConnection(env.LEDGER, id);
  if (!connection) throw notFoundError("connection", id);
  const { source } = connection.config;
  if (source.kind !== "dataset") {
    throw new ApiError(
      409,
      "not_a_dataset",
      `The connection reads its records from ${source.kind === "http" ? "an HTTP source" : "elsewhere"}; only dataset connections take uploads.`,
      {
        meta: { source_kind: source.kind },
      },
    );
  }
  return source;
}

function serialField(source: Extract<SourceContract, { kind: "dataset" }>): string {
  return source.serial_path ?? DEFAULT_SERIAL_FIELD;
}
