import type { ApiErrorBody, ValidationDetail } from "../../../worker/schemas/types";
import { errorMessage } from "../../../shared/lang";

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
    typeof value === "object" && value !== null && "path" in value && typeof value.path === "string" && "message" in value && typeof value.message === "string"
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

export function isErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = value.error;
  return (
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" && "message" in error && typeof error.message === "string"
  );
}

export function errorFromBody(body: ApiErrorBody, status: number): ApiError {
  return new ApiError(body.error.code, body.error.message, status, partsOf(body.error));
}

// Anything thrown while loading is shown through the same typed error.
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError("client_error", errorMessage(error), 0);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
