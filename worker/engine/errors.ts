import type { JobCounters } from "./counters";
import { assertNever } from "../../shared/lang";
import { writtenTotal } from "./reconcile";

export const ENGINE_ERROR_CODES = [
  "method_not_allowed",
  "unsupported_media_type",
  "invalid_content",
  "bad_request",
  "auth_failed",
  "not_found",
  "unexpected_status",
  "redirect_not_followed",
  "unparseable_response",
  "invalid_response_shape",
  "pagination_loop",
  "too_many_pages",
  "response_too_large",
  "invalid_request",
  "unsafe_url",
  "timeout",
  "network_error",
  "retries_exhausted",
  // A success status whose body says the write failed (update.answer_check).
  "refused_in_answer",
  "canceled",
] as const;
export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number];

// Which contract a request belongs to; the same status means a different fix in each. "readback" re-reads a
// written record to verify it; "token" fetches an OAuth2 access token for the credential.
export const REQUEST_PHASES = ["source", "lookup", "listing", "update", "readback", "token"] as const;
export type RequestPhase = (typeof REQUEST_PHASES)[number];

// Transient failures: the record may succeed on a later run, so it is failed and retried later.
// Everything else is a contract error: repeating the request cannot help, so the job fails.
const RETRYABLE: Record<EngineErrorCode, boolean> = {
  method_not_allowed: false,
  unsupported_media_type: false,
  invalid_content: false,
  bad_request: false,
  auth_failed: false,
  not_found: false,
  unexpected_status: false,
  redirect_not_followed: false,
  unparseable_response: false,
  invalid_response_shape: false,
  pagination_loop: false,
  too_many_pages: false,
  response_too_large: false,
  invalid_request: false,
  unsafe_url: false,
  timeout: true,
  network_error: true,
  retries_exhausted: true,
  refused_in_answer: false,
  canceled: false,
};

export interface JobFailure {
  code: EngineErrorCode;
  http_status: number | null;
  message: string;
  hint: string;
}

export interface EngineErrorInit {
  code: EngineErrorCode;
  message: string;
  http_status?: number | null;
  phase?: RequestPhase;
  hint?: string;
  cause?: unknown;
  // The answer came to a resend after an attempt the destination may have applied (a timeout, a network error, a 5xx).
  resent?: boolean;
}

export class EngineError extends Error {
  override readonly name = "EngineError";
  readonly code: EngineErrorCode;
  readonly http_status: number | null;
  readonly hint: string;
  readonly retryable: boolean;
  readonly phase: RequestPhase | null;
  readonly resent: boolean;

  constructor(init: EngineErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = init.code;
    this.http_status = init.http_status ?? null;
    this.phase = init.phase ?? null;
    this.hint = init.hint ?? hintFor(init.code, init.phase ?? null, this.http_status);
    this.retryable = RETRYABLE[init.code];
    this.resent = init.resent ?? false;
  }

  toJSON(): JobFailure {
    return { code: this.code, http_status: this.http_status, message: this.message, hint: this.hint };
  }
}

export function isEngineError(value: unknown): value is EngineError {
  return value instanceof EngineError;
}

export function hintFor(code: EngineErrorCode, phase: RequestPhase | null, httpStatus: number | null = null): string {
  const fetchSide = phase === "lookup" || phase === "listing" || phase === "readback";
  switch (code) {
    case "method_not_allowed":
      if (phase === "source") return "Verify the source contract URL accepts GET";
      if (fetchSide) return "Verify the fetch contract endpoint accepts GET";
      return "Verify method in Update API Contract";
    case "unsupported_media_type":
      if (phase === "update" || phase === null) return "Confirm contract formatter (JSON/XML) for the update endpoint";
      return "Confirm the contract format (JSON/XML) and Accept header for this endpoint";
    case "invalid_content":
      return "Validate mapping field names and formatter selections";
    case "bad_request":
      if (phase === "update") return "Check the update URL template, headers and the payload the mapping builds";
      return "Check the contract URL, query parameters and headers";
    case "auth_failed":
      if (phase === "source") return "Check the source contract headers: the source rejected its authentication";
      return "Check the credential: the destination rejected its secrets, scheme or scopes";
    case "not_found":
      if (phase === "source") return "Check the source contract URL";
      if (fetchSide) return "Review fetch contract endpoint and destination serial visibility";
      return "Check the Update API Contract URL template and the destination fields it uses, e.g. {id}";
    case "unexpected_status":
      if (httpStatus === 428 && phase === "update") {
        return "The destination writes only with a precondition (428 Precondition Required): set the update contract's if_match so each write carries the version its lookup read";
      }
      return "Compare the response with the endpoint's documentation and the contract's success statuses";
    case "redirect_not_followed":
      return "Put the final URL in the contract: redirects are not followed so credentials never reach another address";
    case "unparseable_response":
      if (phase === "source") return "Confirm the source endpoint returns the format its contract names (JSON, XML, NDJSON or CSV)";
      if (fetchSide) return "Confirm the fetch contract format (JSON/XML) matches what the endpoint returns";
      return "Confirm the endpoint returns the format the contract expects";
    case "invalid_response_shape":
      if (phase === "source") return "Check the source contract's records path and pagination against a real response";
      return "Check the fetch contract's record path and serial path against a real response";
    case "pagination_loop":
      return "Check the contract's pagination style and parameters: the endpoint returned the same page again";
    case "too_many_pages":
      return "Check the contract's pagination: the endpoint kept offering new pages past the connection's page limit; if the read really is that long, raise Max pages per read in the connection's limits";
    case "response_too_large":
      if (phase === "source" || phase === "listing") {
        return "Raise the connection's response size limit, or ask for smaller pages (a page size parameter in the contract)";
      }
      return "Raise the connection's response size limit, or narrow the request so the endpoint answers with less";
    case "invalid_request":
      return "Check the contract URL and headers: the request could not be built";
    case "unsafe_url":
      return "Point it at the destination's public https address (no IP literal or internal host name), then rerun";
    case "timeout":
      return "Check the endpoint's latency, then raise the request timeout or lower concurrency";
    case "network_error":
      return "Check the endpoint's host name and that it is reachable from the internet";
    case "retries_exhausted":
      if (httpStatus === 429) return "Lower requests per second for this connection: the endpoint kept rate limiting";
      return "The endpoint kept failing with server errors: check its health, then rerun the failed serials";
    case "refused_in_answer":
      return "The destination answered with a success status but its body says the write failed: correct what it names (the record's values or the update contract), then rerun the failed serials";
    case "canceled":
      return "Rerun single first, then full if needed";
    default:
      return assertNever(code);
  }
}

export interface FailedResponse {
  phase: RequestPhase;
  method: string;
  url: string;
  status: number;
  body: string;
  // An earlier attempt of the same request may have been applied.
  resent?: boolean;
}

// Classifies a final response the caller did not accept (5xx and 429 are retried before reaching here).
export function classifyHttpFailure(response: FailedResponse): EngineError {
  const { status, body, phase } = response;
  const code = codeForStatus(status, body);
  const message = `${describeRequest(response.method, response.url)} returned ${status}${excerpt(body)}`;
  return new EngineError({ code, message, http_status: status, phase, resent: response.resent ?? false });
}

function codeForStatus(status: number, body: string): EngineErrorCode {
  if (status >= 300 && status < 400) return "redirect_not_followed";
  switch (status) {
    case 400:
      return /INVALID_CONTENT/i.test(body) ? "invalid_content" : "bad_request";
    case 401:
    case 403:
      return "auth_failed";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 415:
      return "unsupported_media_type";
    default:
      return "unexpected_status";
  }
}

// Query strings can carry tokens, so messages name only the origin and path.
export function describeRequest(method: string, url: string): string {
  try {
    const parsed = new URL(url);
    return `${method} ${parsed.origin}${parsed.pathname}`;
  } catch {
    return `${method} (invalid URL)`;
  }
}

const EXCERPT_CHARS = 200;

export function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, " ").trim();
  if (flat === "") return "";
  return `: ${cutExcerpt(flat)}`;
}

// What a message quotes of a body, a line or a record: its first 200 characters.
export function cutExcerpt(text: string): string {
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
}

// Job-level patterns from the seed's failure table that no single response reveals, and why a completed
// job wrote nothing: each cause gets its own hint, so "inspect the action rules" is said only when rules held writes back.
export const JOB_DIAGNOSIS_CODES = [
  "missing_destination_spike",
  "no_writes",
  "up_to_date",
  "nothing_changed",
  "all_missing_source",
  "all_missing_destination",
  "all_missing",
] as const;
export type JobDiagnosisCode = (typeof JOB_DIAGNOSIS_CODES)[number];

// "info": a healthy outcome worth a word (the destination already held every value); the status stays a plain success.
export const JOB_DIAGNOSIS_SEVERITIES = ["warning", "info"] as const;
export type JobDiagnosisSeverity = (typeof JOB_DIAGNOSIS_SEVERITIES)[number];

export interface JobDiagnosis {
  code: JobDiagnosisCode;
  severity: JobDiagnosisSeverity;
  // A few words for a status line: "Completed — <label>".
  label: string;
  message: string;
  hint: string;
}

export type DiagnosableJob = DiagnosableCounters & {
  // An incremental full job: the cursor (epoch ms) it read changes since; null or absent for a complete read.
  incremental_since?: number | null;
};

export type DiagnosableCounters = Pick<
  JobCounters,
  | "processed"
  | "missing_source"
  | "missing_destination"
  | "would_update"
  | "updated"
  | "verified"
  | "verify_mismatch"
  | "skipped_rule"
  | "skipped_no_change"
  | "failed"
>;

// A handful of unknown serials is normal fleet drift; a fifth of the fleet means the lookup is wrong.
export const MISSING_DESTINATION_SPIKE = { min_records: 5, min_share: 0.2 } as const;

const FETCH_CONTRACT_HINT = "Review fetch contract endpoint and destination serial visibility";
const SOURCE_HINT =
  "Check that the serial is in the source (the connection's dataset or source contract) with every field the mapping requires; the Records tab gives each record's reason";

function records(n: number): string {
  return n === 1 ? "the record" : `all ${n} records`;
}

export function diagnoseJob(counters: DiagnosableJob): JobDiagnosis[] {
  const found: JobDiagnosis[] = [];
  const { processed, missing_source, missing_destination } = counters;
  // An incremental run in steady state: "0 of 0 in scope" is the cursor at work, not an empty source.
  const since = counters.incremental_since ?? null;
  if (processed === 0 && since !== null) {
    found.push({
      severity: "info",
      code: "nothing_changed",
      label: "nothing changed",
      message: `No source record changed since ${new Date(since).toISOString()} and no serial failed last time: nothing to sync`,
      hint: 'Nothing to do. To compare every record with the destination, start a full run with reset ("Full: every record" under Run now, --reset in the CLI); a dry one changes nothing',
    });
  }
  if (processed === 0) return found;
  const writes = writtenTotal(counters) + counters.would_update;
  const skipped = counters.skipped_rule + counters.skipped_no_change;
  const onlyMissing = writes === 0 && skipped === 0 && missing_source + missing_destination === processed;

  if (onlyMissing && missing_source === processed) {
    found.push({
      severity: "warning",
      code: "all_missing_source",
      label: "Missing Source",
      message: `Nothing to write: ${records(processed)} ${processed === 1 ? "is" : "are"} Missing Source (not in the source, or without a field the mapping requires)`,
      hint: SOURCE_HINT,
    });
    return found;
  }
  if (onlyMissing && missing_destination === processed) {
    found.push({
      severity: "warning",
      code: "all_missing_destination",
      label: "Missing Destination",
      message: `Nothing to write: the destination has no record for ${processed === 1 ? "the serial" : `any of the ${processed} serials`}`,
      hint: FETCH_CONTRACT_HINT,
    });
    return found;
  }
  if (onlyMissing) {
    found.push({
      severity: "warning",
      code: "all_missing",
      label: "nothing found to sync",
      message: `Nothing to write: ${missing_source} Missing Source and ${missing_destination} Missing Destination of ${processed} records`,
      hint: `${SOURCE_HINT}. For Missing Destination: ${FETCH_CONTRACT_HINT.toLowerCase()}`,
    });
    return found;
  }
  if (missing_destination >= MISSING_DESTINATION_SPIKE.min_records && missing_destination / processed >= MISSING_DESTINATION_SPIKE.min_share) {
    const share = Math.round((missing_destination / processed) * 100);
    found.push({
      severity: "warning",
      code: "missing_destination_spike",
      label: "many Missing Destination",
      message: `${missing_destination} of ${processed} records (${share}%) had no destination record`,
      hint: FETCH_CONTRACT_HINT,
    });
  }
  // The seed's "completed but no visible destination changes". Rules that held writes back, or records that failed,
  // are worth a look; a destination that already held every value (a few serials missing on either side being normal
  // fleet drift, and a spike of them diagnosed above) is a sync with nothing to do, as an hourly full run in steady state
  // finds: said as information, so it never turns a healthy run amber.
  if (writes === 0 && skipped > 0) {
    const what = `Completed ${processed} ${processed === 1 ? "record" : "records"} without a single write`;
    const counted = (
      [
        [counters.skipped_rule, "skipped by rule"],
        [counters.skipped_no_change, "unchanged"],
        [missing_source, "Missing Source"],
        [missing_destination, "Missing Destination"],
        [counters.failed, "failed"],
      ] as const
    )
      .filter(([n]) => n > 0)
      .map(([n, word]) => `${n} ${word}`)
      .join(", ");
    if (counters.skipped_rule === 0 && counters.failed === 0) {
      found.push({
        severity: "info",
        code: "up_to_date",
        label: "already up to date",
        message: counters.skipped_no_change === processed ? `${what}: the destination already held every value` : `${what}: none needed one (${counted})`,
        hint: "Nothing to do. If you expected writes, inspect per-field action rules and diagnostics counters",
      });
    } else {
      found.push({
        severity: "warning",
        code: "no_writes",
        label: "nothing to write",
        message: `${what}: ${counted}`,
        hint: "Inspect per-field action rules and diagnostics counters",
      });
    }
  }
  return found;
}
