import type { ArchivedRequest } from "../archive/request-codec";
import type { RequestAttempt } from "../engine/http-client";

// One HTTP attempt of a job on its way to the request log: bodies cut to the job's excerpt size here, then
// masked and numbered by the coordinator's store as it enters the outbox. Pure.

export type RequestRecord = Omit<ArchivedRequest, "seq"> & { job_id: string };

const ELLIPSIS = "…";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** At most maxBytes of UTF-8, never splitting a character; "…" marks a cut (the redactor then masks a cut-off secret). */
export function bodyExcerpt(text: string | null, maxBytes: number): { text: string | null; cut: boolean } {
  if (text === null || text === "") return { text, cut: false };
  if (maxBytes <= 0) return { text: null, cut: true };
  // A character is at most 3 UTF-8 bytes per UTF-16 unit: short texts need no encoding.
  if (text.length * 3 <= maxBytes) return { text, cut: false };
  // The first maxBytes units hold at least the first maxBytes bytes, so a huge body is never encoded whole.
  const bytes = encoder.encode(text.length > maxBytes ? text.slice(0, maxBytes + 1) : text);
  if (bytes.byteLength <= maxBytes && text.length <= maxBytes) return { text, cut: false };
  const kept = decoder.decode(bytes.subarray(0, maxBytes)).replace(/\uFFFD+$/, "");
  return { text: kept + ELLIPSIS, cut: true };
}

export function toRequestRecord(jobId: string, attempt: RequestAttempt, bodyExcerptBytes: number): RequestRecord {
  const request = bodyExcerpt(attempt.request_body, bodyExcerptBytes);
  const response = bodyExcerpt(attempt.response_body, bodyExcerptBytes);
  return {
    job_id: jobId,
    at: attempt.sent_at,
    // Every request site of a job names its phase; the client classifies an unnamed one as a write.
    phase: attempt.phase ?? "update",
    method: attempt.method,
    url: attempt.url,
    request_headers: attempt.request_headers,
    request_body: request.text,
    status: attempt.status,
    duration_ms: Math.max(0, Math.round(attempt.duration_ms)),
    attempt: attempt.attempt,
    retry_reason: attempt.retry_reason,
    concurrency: attempt.concurrency,
    error: attempt.error,
    response_headers: attempt.response_headers,
    response_body: response.text,
    serials: attempt.serials === null ? [] : [...attempt.serials],
    truncated: request.cut || response.cut,
  };
}
