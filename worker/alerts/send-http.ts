import { createRedactor } from "../engine/redactor";
import { readBody } from "../engine/read-body";
import { parseRetryAfter } from "../engine/retry-after";
import type { AttemptOutcome } from "./retry-schedule";

export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface AttemptResult extends AttemptOutcome {
  durationMs: number;
  responseExcerpt: string | null;
}

export interface SendHttpOptions {
  fetch: typeof fetch;
  now?: () => number;
  timeoutMs?: number;
  // Strings that must never be recorded (a Slack URL, a routing key), should a receiver echo them.
  redact?: readonly string[];
}

export const RESPONSE_EXCERPT_BYTES = 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;
// The retry schedule spans days; a receiver asking for longer still gets tried again after one.
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;
const cappedRetryAfter = (ms: number | null) => (ms === null ? null : Math.min(ms, MAX_RETRY_AFTER_MS));

// One POST, never throwing: every way it can go wrong becomes a recorded outcome.
export async function sendHttp(request: OutboundRequest, options: SendHttpOptions): Promise<AttemptResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // A timer cleared as soon as the attempt ends: AbortSignal.timeout would keep the Durable Object
  // busy until it fires, holding up eviction and hibernation.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    return await attempt(request, options, controller.signal, () => timedOut, started);
  } finally {
    clearTimeout(timer);
  }
}

async function attempt(
  request: OutboundRequest,
  options: SendHttpOptions,
  signal: AbortSignal,
  timedOut: () => boolean,
  started: number,
): Promise<AttemptResult> {
  const now = options.now ?? Date.now;
  const redact = options.redact ?? [];
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Response;
  try {
    response = await options.fetch(request.url, {
      method: "POST",
      headers: request.headers,
      body: request.body,
      // A redirect could send the signed payload elsewhere; the receiver must give its final URL.
      redirect: "manual",
      signal,
    });
  } catch (err) {
    return {
      statusCode: null,
      durationMs: now() - started,
      responseExcerpt: null,
      error: redactAll(timedOut() ? `No response within ${timeoutMs} ms.` : `Network error: ${describeError(err)}`, redact),
      retryAfterMs: null,
    };
  }

  let excerpt: string | null;
  let readError: string | null = null;
  try {
    excerpt = await readExcerpt(response, RESPONSE_EXCERPT_BYTES);
  } catch (err) {
    excerpt = null;
    readError = timedOut() ? `The response body did not arrive within ${timeoutMs} ms.` : `The response body could not be read: ${describeError(err)}`;
  }
  const durationMs = now() - started;
  const status = response.status;
  let error: string | null = readError !== null && (status < 200 || status >= 300) ? readError : null;
  if (status >= 300 && status < 400) {
    const location = response.headers.get("location");
    error = `Redirect${location ? ` to ${location}` : ""} not followed; configure the final URL.`;
  }
  return {
    statusCode: status,
    durationMs,
    responseExcerpt: excerpt === null ? null : truncateUtf8(redactAll(excerpt, redact), RESPONSE_EXCERPT_BYTES),
    error: error === null ? null : redactAll(error, redact),
    retryAfterMs: cappedRetryAfter(parseRetryAfter(response.headers.get("retry-after"), now())),
  };
}

// Reads at most `limit` bytes and drops the rest, so a huge or endless body cannot hold the dispatcher.
async function readExcerpt(response: Response, limit: number): Promise<string | null> {
  if (response.body === null) return null;
  return (await readBody(response, { maxBytes: limit, truncate: true })).text;
}

export function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).byteLength <= maxBytes) return text;
  let out = "";
  let used = 0;
  for (const ch of text) {
    const bytes = encoder.encode(ch).byteLength;
    if (used + bytes > maxBytes) break;
    out += ch;
    used += bytes;
  }
  return out;
}

// The product's one redactor, so a receiver echoing a routing key base64- or URL-encoded is masked too.
export function redactAll(text: string, secrets: readonly string[]): string {
  return createRedactor(() => secrets).redact(text);
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? ` (${err.cause.message})` : "";
    return `${err.message}${cause}`;
  }
  return String(err);
}
