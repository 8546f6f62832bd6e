// Response shapes shared with the web client (imported type-only from web/). Each is inferred from the
// zod schema that also validates and documents the route, so there is one definition.
import type { z } from "@hono/zod-openapi";
import type { errorBodySchema, validationDetailSchema } from "./common";

export type { HealthResponse } from "./health";
export type { ConnectStarted, Credential, CreateCredentialBody, TestAuthResult, UpdateCredentialBody } from "./credentials";
export type { Connection, ConnectionSnapshot, ConnectionSummary, ConnectionVersion, CreateConnectionBody, UpdateConnectionBody } from "./connections";
export type { FreshnessView } from "./freshness";
export type { FreshnessState } from "../schedule/freshness";
export type { ConnectionConfig, ConnectionConfigInput } from "../engine/contracts";
export type { DatasetRecord, DatasetUploadIssue, DatasetUploadResult, UploadMode } from "./dataset-records";
export type { TestLookupResult } from "./test-lookup";
export type { LogExportSetting, RetentionSetting, Settings, UpdateSettingsBody } from "./settings";
export type { ApiTokenSummary, CreatedApiToken, Session } from "./tokens";
export type { Role } from "../auth/principal";

export type ApiErrorBody = z.infer<typeof errorBodySchema>;
export type ValidationDetail = z.infer<typeof validationDetailSchema>;

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
