import type { z } from "@hono/zod-openapi";
import { request } from "./api";
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
  Page,
  Role,
  Settings,
  TestAuthResult,
  TestLookupResult,
  UpdateConnectionBody,
  UpdateCredentialBody,
  UpdateSettingsBody,
  UploadMode,
} from "../../../worker/schemas/types";
import type { RunDetail } from "../../../worker/schemas/runs";
import type { CreateTokenBody } from "../../../worker/schemas/tokens";
import type { RetentionResponse, retentionRunResponseSchema } from "../../../worker/schemas/retention";
import type { StatsResponse } from "../../../worker/schemas/stats";
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

// The configuration screens' calls: connections, alerts, settings and tokens, over part A's `request`
// (bearer token, typed errors, 401 handling).

export type CreatedChannel = z.infer<typeof createdChannelSchema>;
export type ChannelWithSecret = z.infer<typeof channelWithSecretSchema>;
export type TestSendResult = z.infer<typeof testSendResultSchema>;
export type CreateRuleBody = z.input<typeof createRuleBodySchema>;
export type UpdateRuleBody = z.input<typeof updateRuleBodySchema>;
export type RetentionRun = z.infer<typeof retentionRunResponseSchema>;
export type DeliveryFilters = Omit<z.input<typeof deliveryListQuerySchema>, "cursor" | "limit">;
export interface ConnectionResetResult {
  connection_id: string;
  run: RunDetail | null;
}

const id = (value: string) => encodeURIComponent(value);

export interface PageRequest {
  cursor?: string | null;
  limit?: number;
  signal?: AbortSignal;
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

export const configApi = {
  // Connections
  listConnections: (signal?: AbortSignal) =>
    allPages((cursor) =>
      request<Page<ConnectionSummary>>("/api/connections", { query: { cursor, limit: 500 }, signal }),
    ),
  listCredentials: (signal?: AbortSignal) =>
    allPages((cursor) => request<Page<Credential>>("/api/credentials", { query: { cursor, limit: 500 }, signal })),
  createCredential: (body: CreateCredentialBody) => request<Credential>("/api/credentials", { method: "POST", body }),
  updateCredential: (credentialId: string, body: UpdateCredentialBody) =>
    request<Credential>(`/api/credentials/${id(credentialId)}`, { method: "PATCH", body }),
  deleteCredential: (credentialId: string) => request<void>(`/api/credentials/${id(credentialId)}`, { method: "DELETE" }),
  testAuth: (credentialId: string, url: string | null, signal?: AbortSignal) =>
    request<TestAuthResult>(`/api/credentials/${id(credentialId)}/test-auth`, {
      method: "POST",
      body: url === null ? {} : { url },
      signal,
    }),
  connectionStats: (signal?: AbortSignal) =>
    request<StatsResponse>("/api/stats", {
      query: { since: "30d", failures_limit: 0, recent_per_connection: 20 },
      signal,
    }),
  getConnection: (connectionId: string, signal?: AbortSignal) =>
    request<Connection>(`/api/connections/${id(connectionId)}`, { signal }),
  createConnection: (body: CreateConnectionBody) => request<Connection>("/api/connections", { method: "POST", body }),
  updateConnection: (connectionId: string, body: UpdateConnectionBody) =>
    request<Connection>(`/api/connections/${id(connectionId)}`, { method: "PATCH", body }),
  connectionVersions: (connectionId: string, page: PageRequest = {}) =>
    request<Page<ConnectionVersion>>(`/api/connections/${id(connectionId)}/versions`, {
      query: { cursor: page.cursor, limit: page.limit },
      signal: page.signal,
    }),
  reorderConnections: (credentialId: string, connectionIds: string[]) =>
    request<{ data: ConnectionSummary[] }>(`/api/credentials/${id(credentialId)}/connections/order`, {
      method: "POST",
      body: { connection_ids: connectionIds },
    }),
  testLookup: (connectionId: string, serial: string, signal?: AbortSignal) =>
    request<TestLookupResult>(`/api/connections/${id(connectionId)}/test-lookup`, {
      method: "POST",
      body: { serial },
      signal,
    }),
  syncNow: (connectionId: string) => request<RunDetail>(`/api/connections/${id(connectionId)}/sync`, { method: "POST" }),
  resetConnection: (connectionId: string, resync: boolean) =>
    request<ConnectionResetResult>(`/api/connections/${id(connectionId)}/reset`, {
      method: "POST",
      query: { resync: resync ? "true" : "false" },
    }),
  uploadDataset: (connectionId: string, text: string, contentType: string, mode: UploadMode) =>
    request<DatasetUploadResult>(`/api/connections/${id(connectionId)}/records`, {
      method: "POST",
      body: text,
      contentType,
      query: { mode },
    }),

  // Alerts
  listChannels: (signal?: AbortSignal) =>
    allPages((cursor) =>
      request<Page<AlertChannel>>("/api/alerts/channels", { query: { cursor, limit: 500 }, signal }),
    ),
  createChannel: (body: CreateChannelBody) => request<CreatedChannel>("/api/alerts/channels", { method: "POST", body }),
  updateChannel: (channelId: string, body: UpdateChannelBody) =>
    request<AlertChannel>(`/api/alerts/channels/${id(channelId)}`, { method: "PATCH", body }),
  deleteChannel: (channelId: string) => request<void>(`/api/alerts/channels/${id(channelId)}`, { method: "DELETE" }),
  testChannel: (channelId: string) => request<TestSendResult>(`/api/alerts/channels/${id(channelId)}/test`, { method: "POST" }),
  rotateSecret: (channelId: string, graceHours: number) =>
    request<ChannelWithSecret>(`/api/alerts/channels/${id(channelId)}/rotate-secret`, {
      method: "POST",
      body: { grace_hours: graceHours },
    }),
  listRules: (signal?: AbortSignal) =>
    allPages((cursor) => request<Page<AlertRule>>("/api/alerts/rules", { query: { cursor, limit: 500 }, signal })),
  createRule: (body: CreateRuleBody) => request<AlertRule>("/api/alerts/rules", { method: "POST", body }),
  updateRule: (ruleId: string, body: UpdateRuleBody) =>
    request<AlertRule>(`/api/alerts/rules/${id(ruleId)}`, { method: "PATCH", body }),
  deleteRule: (ruleId: string) => request<void>(`/api/alerts/rules/${id(ruleId)}`, { method: "DELETE" }),
  listDeliveries: (filters: DeliveryFilters, page: PageRequest = {}) =>
    request<Page<AlertDelivery>>("/api/alerts/deliveries", {
      query: { ...filters, cursor: page.cursor, limit: page.limit },
      signal: page.signal,
    }),
  redeliver: (deliveryId: string) =>
    request<AlertDelivery>(`/api/alerts/deliveries/${id(deliveryId)}/redeliver`, { method: "POST" }),

  // Settings, retention and tokens
  getSettings: (signal?: AbortSignal) => request<Settings>("/api/settings", { signal }),
  updateSettings: (body: UpdateSettingsBody) => request<Settings>("/api/settings", { method: "PUT", body }),
  getRetention: (signal?: AbortSignal) =>
    request<RetentionResponse>("/api/retention", { query: { passes_limit: 5, exports_limit: 14 }, signal }),
  runRetention: () => request<RetentionRun>("/api/retention/run", { method: "POST" }),
  listTokens: (signal?: AbortSignal) => request<Page<ApiTokenSummary>>("/api/tokens", { signal }),
  createToken: (body: CreateTokenBody) => request<CreatedApiToken>("/api/tokens", { method: "POST", body }),
  revokeToken: (tokenId: string) => request<ApiTokenSummary>(`/api/tokens/${id(tokenId)}`, { method: "DELETE" }),
};

