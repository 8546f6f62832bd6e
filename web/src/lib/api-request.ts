import { CLIENT_HEADER, DASHBOARD_CLIENT } from "../../../shared/client-header";
import { ApiError, errorFromBody, isErrorBody } from "./api-error";
import { noteServerDate } from "./server-clock";

// The one place the dashboard talks HTTP to the worker: bearer token, JSON, typed errors and the 401 rule.
// Only api.ts calls it; state modules and components call api.ts's typed endpoints.

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: HttpMethod;
  // Sent as JSON; a string is sent as it is (with `contentType`).
  body?: unknown;
  contentType?: string;
  // Empty values (undefined, null, "") are left out, so a filter object can be passed as it is.
  query?: Record<string, QueryValue>;
  signal?: AbortSignal | undefined;
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

export type Request = <T>(path: string, options?: RequestOptions) => Promise<T>;

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

export function createRequest(options: ApiClientOptions = {}): Request {
  const baseUrl = options.baseUrl ?? "";
  // Bound lazily: a bare `fetch` reference called as a method throws "Illegal invocation".
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const signedInToken = options.token ?? (() => null);

  return async function request<T>(path: string, init: RequestOptions = {}): Promise<T> {
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
    const sentAt = Date.now();
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

    noteServerDate(response.headers.get("date"), sentAt, Date.now());
    const wantsJson = accept.includes("json");
    const text = await response.text();
    const parsed = parseJson(text);
    const bodyStatus = (init.bodyStatuses ?? []).includes(response.status);
    if (!response.ok && !(bodyStatus && typeof parsed === "object" && parsed !== null && !isErrorBody(parsed))) {
      const error = isErrorBody(parsed)
        ? errorFromBody(parsed, response.status)
        : new ApiError("http_error", `The server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}.`, response.status);
      if (response.status === 401 && init.token === undefined && token) options.onUnauthorized?.(error);
      throw error;
    }
    if (!wantsJson) return text as T;
    if (parsed === NOT_JSON || (parsed === undefined && response.status !== 204)) {
      throw new ApiError("bad_response", "The server sent a response that is not JSON.", response.status);
    }
    return parsed as T;
  };
}
