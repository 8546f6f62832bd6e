import { z } from "@hono/zod-openapi";
import { pageSchema, timestampSchema } from "./common";

export const DATASET_UPLOAD_LIMITS = { max_records: 50_000, max_bytes: 20 * 1024 * 1024, max_serial_length: 256 } as const;
export const UPLOAD_MODES = ["merge", "replace"] as const;
export type UploadMode = (typeof UPLOAD_MODES)[number];

export const uploadQuerySchema = z.object({
  mode: z.enum(UPLOAD_MODES).default("merge").openapi({
    description: "merge: add and update the uploaded serials; replace: the dataset becomes exactly the upload.",
  }),
});

export const uploadResultSchema = z
  .object({
    mode: z.enum(UPLOAD_MODES),
    received: z.number().int().openapi({ description: "Records in the upload." }),
    inserted: z.number().int(),
    updated: z.number().int().openapi({ description: "Existing serials whose record changed." }),
    unchanged: z.number().int(),
    deleted: z.number().int().openapi({ description: "Serials removed because a replace upload left them out." }),
    total: z.number().int().openapi({ description: "Records in the dataset after the upload." }),
  })
  .openapi("DatasetUploadResult");
export type DatasetUploadResult = z.infer<typeof uploadResultSchema>;

export const uploadIssueSchema = z
  .object({
    path: z.string().openapi({ example: "line 7.serial" }),
    line: z.number().int().optional().openapi({ description: "NDJSON and CSV: the line the record starts on." }),
    index: z.number().int().optional().openapi({ description: "JSON array: the record's position, from 0." }),
    field: z.string().optional(),
    message: z.string(),
  })
  .openapi("DatasetUploadIssue");
export type DatasetUploadIssue = z.infer<typeof uploadIssueSchema>;

export const uploadErrorSchema = z
  .object({
    error: z.object({ code: z.literal("validation_failed"), message: z.string(), details: z.array(uploadIssueSchema) }),
  })
  .openapi("DatasetUploadError");

export const datasetRecordSchema = z
  .object({
    serial: z.string(),
    record: z.record(z.string(), z.unknown()),
    updated_at: timestampSchema.openapi({ description: "When the record last changed; drives incremental runs." }),
  })
  .openapi("DatasetRecord");
export type DatasetRecord = z.infer<typeof datasetRecordSchema>;

export const datasetRecordPageSchema = pageSchema(datasetRecordSchema, "DatasetRecordPage");
