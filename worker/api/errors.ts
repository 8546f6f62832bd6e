import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { formatIssuePath } from "../engine/contracts";
import { DomainError, invalidInput, nameTaken, notFound, type DomainErrorKind, type ErrorParts, type FieldIssue, type IssueLocation } from "../domain-errors";
import type { ApiErrorBody } from "../schemas/types";
import { log } from "../observability/log";

export type { FieldIssue, IssueLocation } from "../domain-errors";

/**
 * An error the HTTP edge raises with its own status (routers, body limits); domain code throws the kinds of
 * domain-errors.ts instead. Either becomes `{ error: { code, message, details, hint?, meta? } }`.
 */
export class ApiError extends Error {
  readonly details: FieldIssue[];
  readonly hint: string | undefined;
  readonly meta: Record<string, unknown> | undefined;

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    parts: ErrorParts = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.details = parts.details ?? [];
    this.hint = parts.hint;
    this.meta = parts.meta;
  }
}

/** The one place a domain error's kind becomes an HTTP status. */
export const STATUS_OF_KIND: Record<DomainErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

/** A domain error as the HTTP edge answers it: the same code, message and parts, with its kind's status. */
export function toApiError(err: DomainError): ApiError {
  return new ApiError(STATUS_OF_KIND[err.kind], err.code, err.message, err);
}

/** The one error body: `details` is always a list, so a client reads fields the same way on every status. */
export function errorBody(code: string, message: string, parts: ErrorParts = {}): ApiErrorBody {
  return {
    error: {
      code,
      message,
      details: parts.details ?? [],
      ...(parts.hint === undefined ? {} : { hint: parts.hint }),
      ...(parts.meta === undefined ? {} : { meta: parts.meta }),
    },
  };
}

/** The 404 of a resource addressed by its id in the path. */
export function notFoundError(what: string, id: string): ApiError {
  return toApiError(notFound(what, id));
}

/** 409 `name_taken`: the name field is the one at fault. */
export function nameTakenError(message: string): ApiError {
  return toApiError(nameTaken(message));
}

export function handleError(error: Error, c: Context): Response {
  const err =
    error instanceof DomainError ? toApiError(error) : error instanceof HTTPException && error.status === 415 ? notJson(c.req.header("content-type")) : error;
  if (err instanceof ApiError) {
    return c.json(errorBody(err.code, err.message, err), err.status);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return c.json(errorBody(codeForStatus(status), err.message || "Request failed"), status);
  }
  // Anything else is our bug: log it for `wrangler tail`, tell the caller little.
  log.error("unhandled error", { method: c.req.method, path: c.req.path, error: err });
  return c.json(errorBody("internal_error", "Internal error; the failure was logged."), 500);
}

// The router refuses a body that is not JSON on a route whose body is JSON only (every route but the dataset
// upload, which says its own types): said as the upload says it, naming the header and what it takes.
function notJson(contentType: string | undefined): ApiError {
  const media = contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
  return new ApiError(415, "unsupported_media_type", `Send the request body as JSON with Content-Type: application/json${media ? `, not ${media}` : ""}.`, {
    details: [{ path: "Content-Type", message: media ? `${media} is not accepted` : "missing", in: "header" }],
    meta: { accepted: ["application/json"] },
  });
}

/** `allowed`: the methods the path takes under other routes; with any, the miss is the method's (405), not the path's. */
export function handleNotFound(c: Context, allowed: readonly string[] = []): Response {
  if (allowed.length > 0) {
    c.header("Allow", allowed.join(", "));
    const message = `${c.req.method} is not allowed on ${c.req.path}; it takes ${allowed.join(", ")}.`;
    return c.json(errorBody("method_not_allowed", message, { meta: { allowed: [...allowed] } }), 405);
  }
  return c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}`), 404);
}

function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    case 429:
      return "rate_limited";
    default:
      return status >= 500 ? "internal_error" : "request_failed";
  }
}

const TARGET_LOCATION: Record<string, IssueLocation> = { json: "body", form: "body", query: "query", param: "path", header: "header" };

/** 400 `validation_failed` naming every offending field, the one shape all input errors share. */
export function validationError(issues: FieldIssue[], location: IssueLocation = "body"): ApiError {
  return toApiError(invalidInput(issues, location));
}

export function zodIssues(error: z.ZodError, location: IssueLocation): FieldIssue[] {
  return error.issues.flatMap((issue) => flattenIssue(issue, [], location));
}

function flattenIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[], location: IssueLocation): FieldIssue[] {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({ path: formatIssuePath([...path, key]), message: "unknown field", in: location }));
    case "invalid_union": {
      if (issue.discriminator !== undefined && issue.errors.length === 0) {
        const options = "options" in issue && issue.options ? issue.options.map((o) => JSON.stringify(o)).join(", ") : "";
        const message = options ? `must be one of ${options}` : "missing or not one of the allowed values";
        // zod reports the union's path; some versions already end it with the discriminator.
        const at = path.at(-1) === issue.discriminator ? path : [...path, issue.discriminator];
        return [{ path: formatIssuePath(at), message, in: location }];
      }
      // Report the branch that came closest, rather than "Invalid input".
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0];
      if (closest && closest.length > 0) return closest.flatMap((inner) => flattenIssue(inner, path, location));
      break;
    }
    default:
      break;
  }
  return [{ path: formatIssuePath(path), message: issue.message, in: location }];
}

/** The `defaultHook` of every router: zod failures become `validation_failed` instead of zod's own shape. */
export function validationHook(result: { target: string; success: boolean; error?: z.ZodError }): void {
  if (result.success || !result.error) return;
  const location = TARGET_LOCATION[result.target] ?? "body";
  throw validationError(zodIssues(result.error, location), location);
}
