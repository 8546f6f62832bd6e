// What domain code (runs, auth, ledger, cron, Durable Objects) throws when a request cannot be served. They name the
// kind of refusal, never an HTTP status: only the HTTP edge (api/errors.ts) turns a kind into a status and a body.

export const DOMAIN_ERROR_KINDS = ["invalid", "unauthorized", "forbidden", "not_found", "conflict", "unavailable"] as const;
export type DomainErrorKind = (typeof DOMAIN_ERROR_KINDS)[number];

export type IssueLocation = "body" | "query" | "path" | "header";

export interface FieldIssue {
  path: string;
  message: string;
  in?: IssueLocation;
}

/** What an error says beyond its code and message; every part is optional. */
export interface ErrorParts {
  // The fields at fault, each with its own message; the answer always carries a list, empty when no field is.
  details?: FieldIssue[];
  // The next thing to do, when the message alone does not say it.
  hint?: string;
  // Machine-readable facts about the refusal (current_version, max_bytes, required_role…).
  meta?: Record<string, unknown>;
}

/** A refusal with a stable `code` and a message for a person. */
export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  readonly details: FieldIssue[];
  readonly hint: string | undefined;
  readonly meta: Record<string, unknown> | undefined;

  constructor(
    readonly code: string,
    message: string,
    parts: ErrorParts = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.details = parts.details ?? [];
    this.hint = parts.hint;
    this.meta = parts.meta;
  }
}

/** The input is wrong; `details` names every field at fault. */
export class InvalidError extends DomainError {
  readonly kind = "invalid";
}

/** The caller is not known: no credentials, or credentials that do not verify. */
export class UnauthorizedError extends DomainError {
  readonly kind = "unauthorized";
}

/** The caller is known but may not do this. */
export class ForbiddenError extends DomainError {
  readonly kind = "forbidden";
}

export class NotFoundError extends DomainError {
  readonly kind = "not_found";
}

/** The request is valid but the current state refuses it (already finished, disabled, taken…). */
export class ConflictError extends DomainError {
  readonly kind = "conflict";
}

/** Something this request depends on cannot serve it now (configuration, an upstream); retrying later may work. */
export class UnavailableError extends DomainError {
  readonly kind = "unavailable";
}

const LOCATION_WORDS: Record<IssueLocation, string> = { body: "request body", query: "query string", path: "path", header: "headers" };

/** `validation_failed` naming every offending field, the one shape all input errors share. */
export function invalidInput(issues: FieldIssue[], location: IssueLocation = "body"): InvalidError {
  const first = issues[0];
  const summary = first === undefined ? "it does not match the schema" : `${first.path || "(root)"}: ${first.message}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new InvalidError("validation_failed", `Invalid ${LOCATION_WORDS[location]}: ${summary}${more}`, { details: issues });
}

/** A resource addressed by its id in the path does not exist. */
export function notFound(what: string, id: string): NotFoundError {
  return new NotFoundError("not_found", `No ${what} with id ${id}.`, { details: [{ path: "id", message: `no ${what} with this id`, in: "path" }] });
}

/** `name_taken`: the name field is the one at fault. */
export function nameTaken(message: string): ConflictError {
  return new ConflictError("name_taken", message, { details: [{ path: "name", message, in: "body" }] });
}
