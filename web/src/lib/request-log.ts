import type { RequestPhase } from "../../../worker/engine/errors";
import type { RequestRetryReason } from "../../../worker/engine/http-client";
import type { RequestStatusClass } from "../../../worker/schemas/requests";
import { keysOf } from "../../../shared/lang";

// The request inspector's vocabulary and its filters, which live in the job page's address
// (`?tab=requests&serial=…`), so a log line or a record can link straight to its requests.

export type { RequestEntry, RequestEntryPage as RequestPage } from "../../../worker/schemas/requests";

export const REQUEST_PHASE_LABEL: Record<RequestPhase, string> = {
  source: "Source",
  lookup: "Lookup",
  listing: "Listing",
  update: "Write",
  readback: "Read-back",
  token: "Token",
};
export const REQUEST_PHASES_SHOWN: readonly RequestPhase[] = keysOf(REQUEST_PHASE_LABEL);

export type StatusClass = RequestStatusClass;
export const STATUS_CLASS_LABEL: Record<StatusClass, string> = {
  "2xx": "2xx success",
  "3xx": "3xx redirect",
  "4xx": "4xx client error",
  "5xx": "5xx server error",
  error: "No response",
};
export const STATUS_CLASSES: readonly StatusClass[] = keysOf(STATUS_CLASS_LABEL);

export const REQUEST_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type RequestMethod = (typeof REQUEST_METHODS)[number];

const RETRY_REASON_LABEL: Record<RequestRetryReason, string> = {
  server_error: "Server error",
  timeout: "Timeout",
  network_error: "Network error",
  rate_limited: "Rate limited",
  auth_refresh: "Token refresh",
};

export function retryReasonText(reason: RequestRetryReason | null): string | null {
  return reason === null ? null : RETRY_REASON_LABEL[reason];
}

// The concurrency a request was sent under: lowered from the connection's while the destination pushed back.
export function concurrencyText(concurrency: number | null): string | null {
  return concurrency === null ? null : `${concurrency} at once`;
}

// As the API classes a status (worker/schemas/requests.ts statusClassOf): anything outside 200–599 is "error".
export function statusClassOf(status: number | null): StatusClass {
  if (status === null || status < 200 || status >= 600) return "error";
  if (status >= 500) return "5xx";
  if (status >= 400) return "4xx";
  if (status >= 300) return "3xx";
  return "2xx";
}

export interface RequestFilters {
  serial: string | null;
  status: StatusClass | null;
  method: RequestMethod | null;
  phase: RequestPhase | null;
  url: string | null;
}

// The order keys appear in the address, so one view has one address.
export const REQUEST_FILTER_KEYS = ["serial", "status", "method", "phase", "url"] as const satisfies readonly (keyof RequestFilters)[];

export const NO_REQUEST_FILTERS: RequestFilters = { serial: null, status: null, method: null, phase: null, url: null };

const MAX_TEXT = 500;

function oneOf<T extends string>(allowed: readonly T[], value: string | null): T | null {
  return allowed.find((candidate) => candidate === value) ?? null;
}

function text(value: string | null): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed.slice(0, MAX_TEXT);
}

// Unknown values are dropped: a hand-edited address still opens a sensible view.
export function parseRequestFilters(search: string): RequestFilters {
  const params = new URLSearchParams(search);
  return {
    serial: text(params.get("serial")),
    status: oneOf(STATUS_CLASSES, params.get("status")),
    method: oneOf(REQUEST_METHODS, params.get("method")?.toUpperCase() ?? null),
    phase: oneOf(REQUEST_PHASES_SHOWN, params.get("phase")),
    url: text(params.get("url")),
  };
}

export function requestFiltersActive(filters: RequestFilters): boolean {
  return REQUEST_FILTER_KEYS.some((key) => filters[key] !== null);
}

export function sameRequestFilters(a: RequestFilters, b: RequestFilters): boolean {
  return REQUEST_FILTER_KEYS.every((key) => a[key] === b[key]);
}

// The job page's address showing its requests under these filters.
export function requestsHref(jobId: string, filters: Partial<RequestFilters> = {}): string {
  const params = new URLSearchParams({ tab: "requests" });
  for (const key of REQUEST_FILTER_KEYS) {
    const value = filters[key];
    if (value !== null && value !== undefined && value !== "") params.set(key, value);
  }
  return `/jobs/${encodeURIComponent(jobId)}?${params.toString()}`;
}

// The run log names a retried, rate-limited or re-authorised request as "PUT /devices/DEV-1"
// (worker/runs/run-log.ts httpEventLine); the inspector finds it by method and path.
const HTTP_EVENT = /\b(GET|POST|PUT|PATCH|DELETE) (\/\S*)/;

export function httpEventTarget(message: string): { method: RequestMethod; url: string } | null {
  const match = HTTP_EVENT.exec(message);
  const method = oneOf(REQUEST_METHODS, match?.[1] ?? null);
  const url = match?.[2]?.replace(/[:;,.)]+$/, "");
  return method && url ? { method, url } : null;
}

// A URL in a narrow column, split where a line may break (after "/", before "?" and "&"), so it wraps between path
// segments rather than inside a serial; the origin, the same on most rows of a job, is set apart.
export function urlPieces(url: string): { origin: string; pieces: string[] } {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url);
  const origin = match?.[0] ?? "";
  const rest = url.slice(origin.length);
  return { origin, pieces: rest.split(/(?<=\/)|(?=[?&])/).filter((piece) => piece !== "") };
}
