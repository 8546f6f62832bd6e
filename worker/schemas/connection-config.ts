import { z } from "@hono/zod-openapi";
import {
  ConnectionConfigSchema,
  FetchContractSchema,
  FieldRuleSchema,
  LimitsSchema,
  MappingSchema,
  PaginationSchema,
  SourceContractSchema,
  UpdateContractSchema,
} from "../engine/contracts";

// The engine's own schemas validate requests; naming them here makes the OpenAPI document refer to one
// component per contract part instead of repeating it inline. Descriptions already set are kept.
const NAMED_PARTS: Array<[z.ZodType, string]> = [
  [PaginationSchema, "Pagination"],
  [SourceContractSchema, "SourceContract"],
  [FetchContractSchema, "FetchContract"],
  [UpdateContractSchema, "UpdateContract"],
  [FieldRuleSchema, "FieldRule"],
  [MappingSchema, "Mapping"],
  // Not LimitsSchema: the configuration holds it wrapped (prefault), and the generator renders a named schema under a
  // wrapper inline with its name leaked as an `id` keyword, which JSON Schema 2020-12 validators (Ajv) refuse to compile.
  [ConnectionConfigSchema, "ConnectionConfig"],
];
for (const [schema, id] of NAMED_PARTS) {
  if (z.globalRegistry.get(schema)?.id !== id) z.globalRegistry.add(schema, { ...z.globalRegistry.get(schema), id });
}

export {
  ConnectionConfigSchema as connectionConfigSchema,
  FetchContractSchema as fetchContractSchema,
  LimitsSchema as limitsSchema,
  MappingSchema as mappingSchema,
  SourceContractSchema as sourceContractSchema,
  UpdateContractSchema as updateContractSchema,
};

// PATCH semantics for limits: only the given fields change, so none of them may fall back to a default.
const limitsShape = LimitsSchema.shape;
export const limitsPatchSchema = z
  .strictObject({
    requests_per_second: limitsShape.requests_per_second.unwrap().optional(),
    concurrency: limitsShape.concurrency.unwrap().optional(),
    timeout_ms: limitsShape.timeout_ms.unwrap().optional(),
    retry_attempts: limitsShape.retry_attempts.unwrap().optional(),
    stop_on_failure: limitsShape.stop_on_failure.unwrap().optional(),
    max_response_bytes: limitsShape.max_response_bytes.unwrap().optional(),
    max_pages: limitsShape.max_pages.unwrap().optional(),
  })
  .openapi("LimitsPatch", { description: "Only the given limits change." });

export const configPatchSchema = z
  .strictObject({
    source: SourceContractSchema.optional(),
    fetch: FetchContractSchema.optional(),
    update: UpdateContractSchema.optional(),
    mapping: MappingSchema.optional(),
    limits: limitsPatchSchema.optional(),
  })
  .openapi("ConnectionConfigPatch", {
    description: "Each given part replaces that part of the configuration; limits are merged field by field.",
  });
export type ConnectionConfigPatch = z.output<typeof configPatchSchema>;
