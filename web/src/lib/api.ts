import type { ApiErrorBody, ConnectionSummary, HealthResponse, Page } from "../../../worker/api/types";

// Server errors keep the body's code; the client adds network_error, bad_response and http_error.
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(code: string, message: string, status: number, details?: unknown) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export interface ApiClientOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
}

export interface ListOptions {
  cursor?: string | null;
  limit?: number;
}

export interface ApiClient {
  health(signal?: AbortSignal): Promise<HealthResponse>;
  connections(options?: ListOptions, signal?: AbortSignal): Promise<Page<ConnectionSummary>>;
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

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Proxies and crashed upstreams answer with HTML; the status then says more than the body.
    return NOT_JSON;
  }
}

function listQuery({ cursor, limit }: ListOptions): string {
  const params = new URLSearchParams();
  if (cursor) params.set("cursor", cursor);
  if (limit !== undefined) params.set("limit", String(limit));
  const query = params.toString();
  return query === "" ? "" : `?${query}`;
}

export function createApiClient(options: ApiClientOptions = {}): ApiClient {
  const baseUrl = options.baseUrl ?? "";
  // Bound lazily: a bare `fetch` reference called as a method throws "Illegal invocation".
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  // `bodyStatuses`: non-2xx statuses whose body is still the answer (health is 503 when degraded).
  async function get<T>(path: string, signal?: AbortSignal, bodyStatuses: readonly number[] = []): Promise<T> {
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, {
        headers: { accept: "application/json" },
        signal: signal ?? null,
      });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new ApiError("network_error", "Could not reach the server. Check your connection and try again.", 0, {
        cause: String(cause),
      });
    }
    const body = await readJson(response);
    const answered = response.ok || (bodyStatuses.includes(response.status) && typeof body === "object" && body !== null && !isErrorBody(body));
    if (!answered) {
      if (isErrorBody(body)) {
        throw new ApiError(body.error.code, body.error.message, response.status, body.error.details);
      }
      const reason = response.statusText ? ` ${response.statusText}` : "";
      throw new ApiError("http_error", `The server answered ${response.status}${reason}.`, response.status);
    }
    if (body === undefined || body === NOT_JSON) {
      throw new ApiError("bad_response", "The server sent a response that is not JSON.", response.status);
    }
    return body as T;
  }

  return {
    health: (signal) => get<HealthResponse>("/api/health", signal, [503]),
    connections: (list = {}, signal) => get<Page<ConnectionSummary>>(`/api/connections${listQuery(list)}`, signal),
  };
}

export const api = createApiClient();

// Anything thrown while loading is shown through the same typed error.
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError("client_error", message, 0);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
