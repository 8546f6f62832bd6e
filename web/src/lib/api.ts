import type { z } from "@hono/zod-openapi";
import type { ApiErrorBody, ConnectionSummary, HealthResponse, Page, ValidationDetail } from "../../../worker/schemas/types";
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
import type { statsQuerySchema } from "../../../worker/schemas/stats";
import type { CreateRunRequest } from "../../../worker/schemas/runs";
import type { RerunScope } from "../../../worker/schemas/vocabulary";
import { CLIENT_HEADER, DASHBOARD_CLIENT } from "../../../worker/api/client-header";
import { currentToken, rejectSession } from "./session-token";
import { errorMessage } from "./lang";

export interface ApiErrorParts {
  details?: readonly ValidationDetail[];
  hint?: string | undefined;
  meta?: Record<string, unknown> | undefined;
}

// Server errors keep the body's code, fields, hint and meta; the client adds network_error, bad_response and http_error.
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: string;
  readonly status: number;
  // The fields at fault, one entry per problem; empty when no field is.
  readonly details: readonly ValidationDetail[];
  readonly hint: string | undefined;
  readonly meta: Record<string, unknown>;

  constructor(code: string, message: string, status: number, parts: ApiErrorParts = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = parts.details ?? [];
    this.hint = parts.hint;
    this.meta = parts.meta ?? {};
  }
}

function isDetail(value: unknown): value is ValidationDetail {
  return (
    typeof value === "object" &&
    value !== null &&
    "path" in value &&
    typeof value.path === "string" &&
    "message" in value &&
    typeof value.message === "string"
  );
}

// Read defensively: a proxy or an older server may send something else, and the UI still needs a list.
function partsOf(error: ApiErrorBody["error"]): ApiErrorParts {
  const raw: unknown = error.details;
  const meta: unknown = error.meta;
  return {
    details: Array.isArray(raw) ? raw.filter(isDetail) : [],
    hint: typeof error.hint === "string" ? error.hint : undefined,
    meta: typeof meta === "object" && meta !== null && !Array.isArray(meta) ? (meta as Record<string, unknown>) : {},
  };
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: HttpMethod;
  // Sent as JSON; a string is sent as it is (with `contentType`).
  body?: unknown;
  contentType?: string;
  // Empty values (undefined, null, "") are left out, so a filter object can be passed as it is.
  query?: Record<string, QueryValue>;
  signal?: AbortSignal;
  // JSON by default; any other type answers the body as text.
  accept?: string;
  headers?: Record<string, string>;
  // Non-2xx statuses whose body is still the answer (health is 503 when degraded).
  bodyStatuses?: readonly number[];
  // Sign-in checks a candidate token; a 401 then is the answer, not the end of the session.
  token?: string;
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  // The signed-in token; the default client reads the session.
  token?: () => string | null;
  onUnauthorized?: (error: ApiError) => void;
}

export interface ListOptions {
  cursor?: string | null;
  limit?: number;
}

// Query shapes come from the worker's schemas; paging and numbers are the client's own arguments.
export type RunListFilters = Omit<z.input<typeof runListQuerySchema>, "cursor" | "limit">;
export type RecordListFilters = Omit<z.input<typeof recordListQuerySchema>, "cursor" | "limit" | "format">;
export type LogListFilters = Omit<z.input<typeof logListQuerySchema>, "after_seq" | "limit" | "download"> & {
  after_seq?: number;
};
export type StatsQuery = Omit<z.input<typeof statsQuerySchema>, "failures_limit" | "recent_per_connection"> & {
  failures_limit?: number;
  recent_per_connection?: number;
};
export type { CreateRunRequest, RerunScope };

export interface ApiClient {
  request<T>(path: string, options?: RequestOptions): Promise<T>;
  health(signal?: AbortSignal): Promise<HealthResponse>;
  connections(options?: ListOptions, signal?: AbortSignal): Promise<Page<ConnectionSummary>>;
  runs(filters: RunListFilters, list?: ListOptions, signal?: AbortSignal): Promise<RunPage>;
  run(id: string, signal?: AbortSignal): Promise<RunDetail>;
  job(id: string, signal?: AbortSignal): Promise<JobDetail>;
  jobRecords(id: string, filters: RecordListFilters, list?: ListOptions, signal?: AbortSignal): Promise<RecordOutcomePage>;
  jobLogs(id: string, filters: LogListFilters, limit?: number, signal?: AbortSignal): Promise<LogPage>;
  stats(query: StatsQuery, signal?: AbortSignal): Promise<StatsResponse>;
  startRun(body: CreateRunRequest): Promise<RunDetail>;
  cancelRun(id: string): Promise<RunDetail>;
  rerun(id: string, scope: RerunScope): Promise<RunDetail>;
}

function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = value.error;
  return (
    typeof error === "object" &&
    error !== null &&
    "code" in error &&
    typeof error.code === "string" &&
    "message" in error &&
    typeof error.message === "string"
  );
}

const NOT_JSON = Symbol("not JSON");

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Proxies and crashed upstreams answer with HTML; the status then says more than the body.
    return NOT_JSON;
  }
}

export function queryString(query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}

const LOG_LEVEL_SEPARATOR = ",";

export function logLevelsParam(levels: readonly LogLevel[]): string | undefined {
  return levels.length === 0 ? undefined : levels.join(LOG_LEVEL_SEPARATOR);
}

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = options.baseUrl ?? "";
  // Bound lazily: a bare `fetch` reference called as a method throws "Illegal invocation".
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const signedInToken = options.token ?? (() => null);

  async function request<T>(path: string, init: RequestOptions = {}): Promise<T> {
    const accept = init.accept ?? "application/json";
    const headers: Record<string, string> = { accept, [CLIENT_HEADER]: DASHBOARD_CLIENT, ...init.headers };
    const token = init.token ?? signedInToken();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: BodyInit | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === "string" ? init.body : JSON.stringify(init.body);
      headers["content-type"] = init.contentType ?? "application/json";
    }

    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}${queryString(init.query)}`, {
        method: init.method ?? "GET",
        headers,
        ...(body === undefined ? {} : { body }),
        signal: init.signal ?? null,
      });
    } catch (cause) {
      if (init.signal?.aborted) throw cause;
      throw new ApiError("network_error", "Could not reach the server. Check your connection and try again.", 0, {
        meta: { cause: String(cause) },
      });
    }

    const wantsJson = accept.includes("json");
    const text = await response.text();
    const parsed = parseJson(text);
    const bodyStatus = (init.bodyStatuses ?? []).includes(response.status);
    if (!response.ok && !(bodyStatus && typeof parsed === "object" && parsed !== null && !isErrorBody(parsed))) {
      const error = isErrorBody(parsed)
        ? new ApiError(parsed.error.code, parsed.error.message, response.status, partsOf(parsed.error))
        : new ApiError(
            "http_error",
            `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}.`,
            response.status,
          );
      if (response.status === 401 && init.token === undefined && token) options.onUnauthorized?.(error);
      throw error;
    }
    if (!wantsJson) return text as T;
    if (parsed === NOT_JSON || (parsed === undefined && response.status !== 204)) {
      throw new ApiError("bad_response", "The server sent a response that is not JSON.", response.status);
    }
    return parsed as T;
  }

  const paging = ({ cursor, limit }: ListOptions = {}) => ({ cursor, limit });

  return {
    request,
    health: (signal) => request<HealthResponse>("/api/health", { signal, bodyStatuses: [503] }),
    connections: (list, signal) => request<Page<ConnectionSummary>>("/api/connections", { query: paging(list), signal }),
    runs: (filters, list, signal) => request<RunPage>("/api/runs", { query: { ...filters, ...paging(list) }, signal }),
    run: (id, signal) => request<RunDetail>(`/api/runs/${encodeURIComponent(id)}`, { signal }),
    job: (id, signal) => request<JobDetail>(`/api/jobs/${encodeURIComponent(id)}`, { signal }),
    jobRecords: (id, filters, list, signal) =>
      request<RecordOutcomePage>(`/api/jobs/${encodeURIComponent(id)}/records`, { query: { ...filters, ...paging(list) }, signal }),
    jobLogs: (id, filters, limit, signal) =>
      request<LogPage>(`/api/jobs/${encodeURIComponent(id)}/logs`, { query: { ...filters, limit }, signal }),
    stats: (query, signal) => request<StatsResponse>("/api/stats", { query, signal }),
    startRun: (body) => request<RunDetail>("/api/runs", { method: "POST", body }),
    cancelRun: (id) => request<RunDetail>(`/api/runs/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
    rerun: (id, scope) => request<RunDetail>(`/api/runs/${encodeURIComponent(id)}/rerun`, { method: "POST", body: { scope } }),
  };
}

// The app's client: the signed-in token on every call, and a 401 ends the session (sign-in keeps the URL).
export const api = createApiClient({
  token: currentToken,
  onUnauthorized: (error) => rejectSession(error.message),
});

// For other modules' typed clients (web/src/lib/config-api.ts): the same token, errors and 401 handling.
export function request<T>(path: string, options?: RequestOptions): Promise<T> {
  return api.request<T>(path, options);
}

// A plain link cannot carry the bearer header, so exports are fetched and handed to the browser as a file.
export async function downloadFile(path: string, query: Record<string, QueryValue>, filename: string, accept: string): Promise<void> {
  const text = await api.request<string>(path, { query, accept });
  const url = URL.createObjectURL(new Blob([text], { type: accept }));
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filename;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // The click has handed the blob to the download manager; give it a moment before revoking.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Anything thrown while loading is shown through the same typed error.
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = errorMessage(error);
  return new ApiError("client_error", message, 0);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
