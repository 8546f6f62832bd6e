import type { z } from "@hono/zod-openapi";
import type {
  ApiTokenSummary,
  Connection,
  ConnectionSummary,
  ConnectionVersion,
  CreateConnectionBody,
  CreatedApiToken,
  CreateCredentialBody,
  Credential,
  DatasetUploadResult,
  HealthResponse,
  Page,
  Session,
  Settings,
  TestAuthResult,
  ConnectStarted,
  TestLookupResult,
  UpdateConnectionBody,
  UpdateCredentialBody,
  UpdateSettingsBody,
  UploadMode,
} from "../../../worker/schemas/types";
import type {
  JobDetail,
  LogLevel,
  LogPage,
  RecordOutcomePage,
  RunDetail,
  RunPage,
  StatsResponse,
  logListQuerySchema,
  recordListQuerySchema,
  runListQuerySchema,
} from "./run-types";
import type { RequestFilters, RequestPage } from "./request-log";
import type { statsQuerySchema } from "../../../worker/schemas/stats";
import type { RetentionResponse, retentionRunResponseSchema } from "../../../worker/schemas/retention";
import type { breakerListSchema, DestinationBreakerView } from "../../../worker/schemas/destination-breakers";
import type { CreateRunRequest } from "../../../worker/schemas/runs";
import type { testLookupBodySchema } from "../../../worker/schemas/test-lookup";
import type { ConnectionSerialPage, connectionSerialQuerySchema, SerialStanding } from "../../../worker/schemas/connection-serials";
import type { BulkCancelRequest, BulkPreviewRequest, BulkRerunRequest, BulkRunPreview, BulkRunResult } from "../../../worker/schemas/bulk-runs";
import type { CreateTokenBody } from "../../../worker/schemas/tokens";
import type { ApplyBody, ConfigApplyResult, ConfigFormat, ConfigPlan, PlanBody } from "../../../worker/schemas/config-as-code";
import type { RerunScope } from "../../../worker/schemas/vocabulary";
import type {
  AlertChannel,
  AlertDelivery,
  AlertRule,
  CreateChannelBody,
  UpdateChannelBody,
  channelWithSecretSchema,
  createRuleBodySchema,
  createdChannelSchema,
  deliveryListQuerySchema,
  testSendResultSchema,
  updateRuleBodySchema,
} from "../../../worker/schemas/alerts";
import type { ApplyRunResponse, RunPlan } from "./plan-types";
import type { AlertRoute, alertsMuteSchema } from "../../../worker/schemas/connection-alerts";
import { currentToken, rejectSession } from "./session-token";
import { createRequest, type ApiClientOptions } from "./api-request";

// The dashboard's one API client. Every state module calls these endpoints (components never fetch);
// each request and answer is typed by the zod schema that validates and documents that route in the
// worker, imported type-only, so a changed API shape fails the web type check without a build step.

export { ApiError, asApiError, isAbort, type ApiErrorParts } from "./api-error";
export type { ApiClientOptions, QueryValue } from "./api-request";

export interface ListOptions {
  cursor?: string | null;
  limit?: number;
}

export interface PageRequest extends ListOptions {
  signal?: AbortSignal;
}

// Query shapes come from the worker's schemas; paging and numbers are the client's own arguments.
// Where a test lookup looks: the destination through the fetch contract, or the source.
export type LookupContract = z.output<typeof testLookupBodySchema>["contract"];
export type RunListFilters = Omit<z.input<typeof runListQuerySchema>, "cursor" | "limit">;
export type RecordListFilters = Omit<z.input<typeof recordListQuerySchema>, "cursor" | "limit" | "format">;
export type LogListFilters = Omit<z.input<typeof logListQuerySchema>, "after_seq" | "limit" | "download"> & {
  after_seq?: number;
};
export type StatsQuery = Omit<z.input<typeof statsQuerySchema>, "failures_limit" | "recent_per_connection"> & {
  failures_limit?: number;
  recent_per_connection?: number;
};
export type DeliveryFilters = Omit<z.input<typeof deliveryListQuerySchema>, "cursor" | "limit">;
export type ConnectionSerialFilters = Omit<z.input<typeof connectionSerialQuerySchema>, "cursor" | "limit" | "format">;
export type { ConnectionSerialPage, SerialStanding };
export type CreatedChannel = z.infer<typeof createdChannelSchema>;
export type ChannelWithSecret = z.infer<typeof channelWithSecretSchema>;
export type TestSendResult = z.infer<typeof testSendResultSchema>;
export type CreateRuleBody = z.input<typeof createRuleBodySchema>;
export type UpdateRuleBody = z.input<typeof updateRuleBodySchema>;
export type ConnectionAlertsMute = z.infer<typeof alertsMuteSchema>;
export type { AlertRoute };
export type RetentionRun = z.infer<typeof retentionRunResponseSchema>;
export type DestinationBreakerList = z.infer<typeof breakerListSchema>;
export type { DestinationBreakerView };
export interface ConnectionResetResult {
  connection_id: string;
  run: RunDetail | null;
}
export type { CreateRunRequest, RerunScope };

const LOG_LEVEL_SEPARATOR = ",";

export function logLevelsParam(levels: readonly LogLevel[]): string | undefined {
  return levels.length === 0 ? undefined : levels.join(LOG_LEVEL_SEPARATOR);
}

// Walks every page: connection and credential lists are short, and order/grouping needs all of them.
export async function allPages<T>(load: (cursor: string | null) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await load(cursor);
    items.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return items;
}

const id = (value: string) => encodeURIComponent(value);
const paging = ({ cursor, limit }: ListOptions = {}) => ({ cursor, limit });
// Catalog lists (connections, credentials, channels, rules) are read whole, in pages of the API's maximum.
const WHOLE_LIST = 500;

export function createApiClient(options: ApiClientOptions = {}) {
  const request = createRequest(options);
  const whole = <T>(path: string, signal?: AbortSignal) => allPages((cursor) => request<Page<T>>(path, { query: { cursor, limit: WHOLE_LIST }, signal }));

  return {
    // Session and system
    // Proves a candidate token and says who it is; a 401 is the answer to show, not the end of a session.
    session: (token: string) => request<Session>("/api/session", { token }),
    health: (signal?: AbortSignal) => request<HealthResponse>("/api/health", { signal, bodyStatuses: [503] }),

    // Runs and jobs
    runs: (filters: RunListFilters, list?: ListOptions, signal?: AbortSignal) =>
      request<RunPage>("/api/runs", { query: { ...filters, ...paging(list) }, signal }),
    run: (runId: string, signal?: AbortSignal) => request<RunDetail>(`/api/runs/${id(runId)}`, { signal }),
    startRun: (body: CreateRunRequest) => request<RunDetail>("/api/runs", { method: "POST", body }),
    cancelRun: (runId: string) => request<RunDetail>(`/api/runs/${id(runId)}/cancel`, { method: "POST" }),
    rerun: (runId: string, scope: RerunScope) => request<RunDetail>(`/api/runs/${id(runId)}/rerun`, { method: "POST", body: { scope } }),
    // Bulk actions over the run list's filters (issue 17): count first, then act on the count confirmed.
    previewBulkRuns: (body: BulkPreviewRequest, signal?: AbortSignal) => request<BulkRunPreview>("/api/runs/bulk/preview", { method: "POST", body, signal }),
    bulkCancelRuns: (body: BulkCancelRequest) => request<BulkRunResult>("/api/runs/bulk/cancel", { method: "POST", body }),
    bulkRerunRuns: (body: BulkRerunRequest) => request<BulkRunResult>("/api/runs/bulk/rerun", { method: "POST", body }),
    runPlan: (runId: string, signal?: AbortSignal) => request<RunPlan>(`/api/runs/${id(runId)}/plan`, { signal }),
    applyPlan: (runId: string) => request<ApplyRunResponse>(`/api/runs/${id(runId)}/apply`, { method: "POST" }),
    job: (jobId: string, signal?: AbortSignal) => request<JobDetail>(`/api/jobs/${id(jobId)}`, { signal }),
    // Destination circuit breakers
    destinationBreakers: (signal?: AbortSignal) => request<DestinationBreakerList>("/api/destinations/breakers", { signal }),
    resetDestinationBreaker: (host: string) => request<DestinationBreakerView>(`/api/destinations/breakers/${id(host)}/reset`, { method: "POST" }),
    jobRecords: (jobId: string, filters: RecordListFilters, list?: ListOptions, signal?: AbortSignal) =>
      request<RecordOutcomePage>(`/api/jobs/${id(jobId)}/records`, { query: { ...filters, ...paging(list) }, signal }),
    jobRecordsCsv: (jobId: string, filters: RecordListFilters) =>
      request<string>(`/api/jobs/${id(jobId)}/records`, { query: { ...filters, format: "csv" }, accept: "text/csv" }),
    jobLogs: (jobId: string, filters: LogListFilters, limit?: number, signal?: AbortSignal) =>
      request<LogPage>(`/api/jobs/${id(jobId)}/logs`, { query: { ...filters, limit }, signal }),
    jobLogsText: (jobId: string, filters: Omit<LogListFilters, "after_seq">) =>
      request<string>(`/api/jobs/${id(jobId)}/logs`, { query: { download: 1, ...filters }, accept: "text/plain" }),
    jobRequests: (jobId: string, filters: Partial<RequestFilters>, list?: ListOptions, signal?: AbortSignal) =>
      request<RequestPage>(`/api/jobs/${id(jobId)}/requests`, { query: { ...filters, ...paging(list) }, signal }),
    stats: (query: StatsQuery, signal?: AbortSignal) => request<StatsResponse>("/api/stats", { query, signal }),

    // Connections
    connections: (list?: ListOptions, signal?: AbortSignal) => request<Page<ConnectionSummary>>("/api/connections", { query: paging(list), signal }),
    listConnections: (signal?: AbortSignal) => whole<ConnectionSummary>("/api/connections", signal),
    connectionStats: (signal?: AbortSignal) =>
      request<StatsResponse>("/api/stats", { query: { since: "30d", failures_limit: 0, recent_per_connection: 20 }, signal }),
    getConnection: (connectionId: string, signal?: AbortSignal) => request<Connection>(`/api/connections/${id(connectionId)}`, { signal }),
    createConnection: (body: CreateConnectionBody) => request<Connection>("/api/connections", { method: "POST", body }),
    updateConnection: (connectionId: string, body: UpdateConnectionBody) =>
      request<Connection>(`/api/connections/${id(connectionId)}`, { method: "PATCH", body }),
    connectionVersions: (connectionId: string, page: PageRequest = {}) =>
      request<Page<ConnectionVersion>>(`/api/connections/${id(connectionId)}/versions`, { query: paging(page), signal: page.signal }),
    connectionSerials: (connectionId: string, filters: ConnectionSerialFilters, page: PageRequest = {}) =>
      request<ConnectionSerialPage>(`/api/connections/${id(connectionId)}/serials`, { query: { ...filters, ...paging(page) }, signal: page.signal }),
    connectionSerialsCsv: (connectionId: string, filters: ConnectionSerialFilters) =>
      request<string>(`/api/connections/${id(connectionId)}/serials`, { query: { ...filters, format: "csv" }, accept: "text/csv" }),
    serialStanding: (serial: string, signal?: AbortSignal) => request<SerialStanding>("/api/serials/latest", { query: { serial }, signal }),
    reorderConnections: (credentialId: string, connectionIds: string[]) =>
      request<{ data: ConnectionSummary[] }>(`/api/credentials/${id(credentialId)}/connections/order`, {
        method: "POST",
        body: { connection_ids: connectionIds },
      }),
    testLookup: (connectionId: string, serial: string, contract: LookupContract, signal?: AbortSignal) =>
      request<TestLookupResult>(`/api/connections/${id(connectionId)}/test-lookup`, { method: "POST", body: { serial, contract }, signal }),
    syncNow: (connectionId: string) => request<RunDetail>(`/api/connections/${id(connectionId)}/sync`, { method: "POST" }),
    resumeConnection: (connectionId: string) => request<Connection>(`/api/connections/${id(connectionId)}/resume`, { method: "POST" }),
    resetConnection: (connectionId: string, resync: boolean) =>
      request<ConnectionResetResult>(`/api/connections/${id(connectionId)}/reset`, {
        method: "POST",
        query: { resync: resync ? "true" : "false" },
      }),
    uploadDataset: (connectionId: string, text: string, contentType: string, mode: UploadMode) =>
      request<DatasetUploadResult>(`/api/connections/${id(connectionId)}/records`, { method: "POST", body: text, contentType, query: { mode } }),

    // Credentials
    listCredentials: (signal?: AbortSignal) => whole<Credential>("/api/credentials", signal),
    createCredential: (body: CreateCredentialBody) => request<Credential>("/api/credentials", { method: "POST", body }),
    updateCredential: (credentialId: string, body: UpdateCredentialBody) =>
      request<Credential>(`/api/credentials/${id(credentialId)}`, { method: "PATCH", body }),
    deleteCredential: (credentialId: string) => request<void>(`/api/credentials/${id(credentialId)}`, { method: "DELETE" }),
    connectCredential: (credentialId: string) => request<ConnectStarted>(`/api/credentials/${id(credentialId)}/connect`, { method: "POST", body: {} }),
    testAuth: (credentialId: string, url: string | null, signal?: AbortSignal) =>
      request<TestAuthResult>(`/api/credentials/${id(credentialId)}/test-auth`, { method: "POST", body: url === null ? {} : { url }, signal }),

    // Alerts
    listChannels: (signal?: AbortSignal) => whole<AlertChannel>("/api/alerts/channels", signal),
    createChannel: (body: CreateChannelBody) => request<CreatedChannel>("/api/alerts/channels", { method: "POST", body }),
    updateChannel: (channelId: string, body: UpdateChannelBody) => request<AlertChannel>(`/api/alerts/channels/${id(channelId)}`, { method: "PATCH", body }),
    deleteChannel: (channelId: string) => request<void>(`/api/alerts/channels/${id(channelId)}`, { method: "DELETE" }),
    testChannel: (channelId: string) => request<TestSendResult>(`/api/alerts/channels/${id(channelId)}/test`, { method: "POST" }),
    rotateSecret: (channelId: string, graceHours: number) =>
      request<ChannelWithSecret>(`/api/alerts/channels/${id(channelId)}/rotate-secret`, { method: "POST", body: { grace_hours: graceHours } }),
    listRules: (signal?: AbortSignal) => whole<AlertRule>("/api/alerts/rules", signal),
    createRule: (body: CreateRuleBody) => request<AlertRule>("/api/alerts/rules", { method: "POST", body }),
    updateRule: (ruleId: string, body: UpdateRuleBody) => request<AlertRule>(`/api/alerts/rules/${id(ruleId)}`, { method: "PATCH", body }),
    deleteRule: (ruleId: string) => request<void>(`/api/alerts/rules/${id(ruleId)}`, { method: "DELETE" }),
    listDeliveries: (filters: DeliveryFilters, page: PageRequest = {}) =>
      request<Page<AlertDelivery>>("/api/alerts/deliveries", { query: { ...filters, ...paging(page) }, signal: page.signal }),
    redeliver: (deliveryId: string) => request<AlertDelivery>(`/api/alerts/deliveries/${id(deliveryId)}/redeliver`, { method: "POST" }),
    setAlertsMute: (connectionId: string, until: string | null) =>
      request<ConnectionAlertsMute>(`/api/connections/${id(connectionId)}/alerts-mute`, { method: "PUT", body: { until } }),
    alertRoutes: (connectionId: string, signal?: AbortSignal) =>
      request<{ data: AlertRoute[] }>(`/api/connections/${id(connectionId)}/alert-routes`, { signal }),
    setAlertRoutes: (connectionId: string, routes: Array<{ rule_id: string; channel_id: string }>) =>
      request<{ data: AlertRoute[] }>(`/api/connections/${id(connectionId)}/alert-routes`, { method: "PUT", body: { routes } }),

    // Settings, retention and tokens
    getSettings: (signal?: AbortSignal) => request<Settings>("/api/settings", { signal }),
    updateSettings: (body: UpdateSettingsBody) => request<Settings>("/api/settings", { method: "PUT", body }),
    getRetention: (signal?: AbortSignal) => request<RetentionResponse>("/api/retention", { query: { passes_limit: 5, exports_limit: 14 }, signal }),
    runRetention: () => request<RetentionRun>("/api/retention/run", { method: "POST" }),
    listTokens: (signal?: AbortSignal) => request<Page<ApiTokenSummary>>("/api/tokens", { signal }),
    createToken: (body: CreateTokenBody) => request<CreatedApiToken>("/api/tokens", { method: "POST", body }),
    revokeToken: (tokenId: string) => request<ApiTokenSummary>(`/api/tokens/${id(tokenId)}`, { method: "DELETE" }),

    // Configuration as code: the document as text (YAML) or JSON text, its plan, and applying it.
    exportConfig: (format: ConfigFormat) =>
      request<string>("/api/config/export", { query: { format }, accept: format === "yaml" ? "text/yaml" : "text/plain" }),
    planConfig: (body: PlanBody) => request<ConfigPlan>("/api/config/plan", { method: "POST", body }),
    applyConfig: (body: ApplyBody) => request<ConfigApplyResult>("/api/config/apply", { method: "POST", body }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

// The app's client: the signed-in token on every call, and a 401 ends the session (sign-in keeps the URL).
export const api: ApiClient = createApiClient({
  token: currentToken,
  onUnauthorized: (error) => rejectSession(error.message),
});

// A plain link cannot carry the bearer header, so an export is read through the client and handed to the
// browser as a file.
export function downloadFile(text: string, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filename;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The click has handed the blob to the download manager; give it a moment before revoking.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
