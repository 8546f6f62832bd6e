import type { AdaptiveConcurrency, ConcurrencyNote } from "./adaptive-concurrency";
import { LIMIT_DEFAULTS } from "./contracts";
import { EngineError, classifyHttpFailure, describeRequest, type EngineErrorInit, type RequestPhase } from "./errors";
import { createRequestPacer, createSemaphore } from "./rate-limiter";
import { readBody, readBodyBytes, responseTooLarge, type BodyText } from "./read-body";
import { REDACTED } from "./redactor";
import { utf8Length } from "./utf8";
import { askedWait } from "./retry-after";
import { createSignalFollowers } from "./signal-followers";
import type { EngineRuntime } from "./runtime";

export interface HttpLimits {
  requests_per_second: number;
  concurrency: number;
  timeout_ms: number;
  retry_attempts: number;
  // Counted after decompression; the connection's default when absent.
  max_response_bytes?: number;
}

export type HeaderMap = Record<string, string>;

export interface HttpClientOptions {
  runtime: EngineRuntime;
  limits: HttpLimits;
  // A function lets OAuth2 credentials hand out a fresh token per request, and AWS credentials sign each attempt.
  authHeaders?: HeaderMap | ((request: HttpRequest) => HeaderMap | Promise<HeaderMap>);
  // Asked after a 401 with the auth headers that were rejected; true means new ones can be built, so the
  // request is sent once more with them (OAuth2 tokens can be revoked before they expire).
  refreshAuth?: (rejected: HeaderMap) => boolean | Promise<boolean>;
  onEvent?: (event: HttpEvent) => void;
  backoff?: { base_ms: number; max_ms: number };
  max_retry_after_ms?: number;
  // Adapts the requests in flight to the destination within limits.concurrency; fixed at it when absent.
  adaptive?: AdaptiveConcurrency;
  // While traces are exported: a fresh context per attempt, sent as its W3C `traceparent` header (unless the
  // request sets its own) so the destination's spans join the run's trace under the attempt's span.
  traceContext?: () => TraceContext;
}

export interface TraceContext {
  traceparent: string;
  // The attempt's client span, the parent the traceparent names.
  spanId: string;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: HeaderMap;
  body?: string;
  signal?: AbortSignal;
  phase?: RequestPhase;
  // Statuses returned to the caller instead of thrown; default any 2xx.
  accept?: (status: number) => boolean;
  // false for a write that would apply twice if repeated (a POST or bulk write without an idempotency key):
  // after a timeout, a 5xx or a network error the destination may have applied it, so it is not sent again.
  // A 429 applied nothing and is always retried. Default true.
  mayRetryAfterSend?: boolean;
  // The serials this request is about (a lookup's, a write's, a bulk write's), so its record in the request
  // log can be found from a record outcome. Absent for source and listing pages.
  serials?: readonly string[];
  // A body that is a gzip file (a path ending .gz, or Content-Type application/gzip, without Content-Encoding, as
  // object stores serve warehouse exports) is read decompressed; the size limit counts what it decompresses to.
  gunzipFiles?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  bytesSent: number;
  bytesReceived: number;
  attempts: number;
  durationMs: number;
}

export const RETRY_REASONS = ["server_error", "timeout", "network_error"] as const;
export type RetryReason = (typeof RETRY_REASONS)[number];

// Why an attempt after the first was made: the previous attempt's failure.
export const REQUEST_RETRY_REASONS = ["server_error", "timeout", "network_error", "rate_limited", "auth_refresh"] as const;
export type RequestRetryReason = (typeof REQUEST_RETRY_REASONS)[number];

// One attempt as sent and answered, for the request log. Headers that authenticate (the credential's, and
// Authorization/Proxy-Authorization/Cookie whatever set them) are already "[redacted]"; bodies are whole:
// the caller cuts and redacts them. Response headers are only RESPONSE_HEADERS_KEPT.
export interface RequestAttempt {
  phase: RequestPhase | null;
  method: string;
  url: string;
  serials: readonly string[] | null;
  attempt: number;
  retry_reason: RequestRetryReason | null;
  sent_at: number;
  // How many requests the job allowed in flight when this one was sent; null when it was not gated (a token request).
  concurrency: number | null;
  duration_ms: number;
  request_headers: HeaderMap;
  request_body: string | null;
  // null after a timeout or a network error.
  status: number | null;
  error: string | null;
  response_headers: HeaderMap;
  response_body: string | null;
  // The attempt's span when traces are exported (its traceparent carried it); absent otherwise.
  span_id?: string;
}

// What of a response's headers the log keeps: the few that explain an answer. Set-Cookie never.
export const RESPONSE_HEADERS_KEPT = [
  "content-type",
  "content-length",
  "location",
  "retry-after",
  "etag",
  "www-authenticate",
  "x-request-id",
  "x-correlation-id",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
] as const;

const ALWAYS_SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie"]);

/** Request headers as the log shows them: names lowercased, every credential-bearing value "[redacted]". */
export function loggedRequestHeaders(headers: HeaderMap, authNames: Iterable<string> = []): HeaderMap {
  const auth = new Set<string>();
  for (const name of authNames) auth.add(name.toLowerCase());
  const logged: HeaderMap = {};
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    logged[lower] = ALWAYS_SECRET_HEADERS.has(lower) || auth.has(lower) ? REDACTED : headers[name]!;
  }
  return logged;
}

// A header name is an HTTP token; a value holds no line break or NUL. Checked here so a bad header is a contract
// error, not a network failure retried by the client.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;

/** The request's headers, then the credential's over them, as one map with lowercased names (what Headers would hold). */
export function mergedRequestHeaders(own: HeaderMap | undefined, auth: HeaderMap): HeaderMap {
  const merged: HeaderMap = {};
  for (const source of [own ?? {}, auth]) {
    for (const name of Object.keys(source)) {
      const value = source[name]!;
      if (!HEADER_NAME.test(name)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
      if (HEADER_VALUE_FORBIDDEN.test(value)) throw new TypeError(`invalid value for header ${name}`);
      merged[name.toLowerCase()] = value.trim();
    }
  }
  return merged;
}

export function loggedResponseHeaders(headers: Headers | null): HeaderMap {
  const logged: HeaderMap = {};
  if (headers === null) return logged;
  for (const name of RESPONSE_HEADERS_KEPT) {
    const value = headers.get(name);
    if (value !== null) logged[name] = value;
  }
  return logged;
}

export type HttpEvent =
  | { type: "request"; entry: RequestAttempt }
  | { type: "response"; method: string; url: string; attempt: number; status: number; duration_ms: number; bytes_sent: number; bytes_received: number }
  // asked: the header that set the wait, as the log quotes it ("Retry-After: 30"); absent when the backoff did.
  | { type: "retry"; method: string; url: string; attempt: number; reason: RetryReason; status: number | null; delay_ms: number; asked?: string }
  | { type: "rate_limited"; method: string; url: string; attempt: number; status: 429; delay_ms: number; asked: string | null }
  | { type: "auth_refresh"; method: string; url: string; attempt: number; status: 401 }
  | { type: "concurrency"; note: ConcurrencyNote };

export interface HttpClient {
  request(request: HttpRequest): Promise<HttpResponse>;
}

export const DEFAULT_BACKOFF = { base_ms: 250, max_ms: 15_000 } as const;
// A Retry-After of hours would pin a Durable Object slice; beyond this the wait is cut short.
export const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

type Attempt = { sentAt: number; durationMs: number; concurrency: number } & (
  | { kind: "response"; status: number; headers: Headers; text: string; bytesReceived: number }
  | { kind: "too_large"; status: number; headers: Headers; bytesReceived: number }
  | { kind: "timeout" }
  | { kind: "network"; error: unknown }
);

// A gzip file served as itself: the runtime undoes a Content-Encoding, never a file's own compression.
export function isGzipFile(url: string, headers: Headers): boolean {
  if (headers.has("content-encoding")) return false;
  const type = headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/gzip" || type === "application/x-gzip" || new URL(url).pathname.toLowerCase().endsWith(".gz");
}

// The file is read whole first, so a connection lost meanwhile stays a network error (retried); only then is it
// decompressed, from memory, where a failure can only be the file's. Both are held to the size limit.
async function readGzipFile(response: Response, maxBytes: number, request: HttpRequest): Promise<BodyText> {
  const file = await readBodyBytes(response, { maxBytes });
  // slice(): a Blob takes bytes of a plain ArrayBuffer, which the chunks a stream hands out need not be.
  const decompressed = new Response(new Blob([file.slice()]).stream().pipeThrough(new DecompressionStream("gzip")));
  try {
    return await readBody(decompressed, { maxBytes });
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new EngineError({
      code: "unparseable_response",
      message: `${describeRequest(request.method, request.url)} returned a gzip file that could not be decompressed (${errorText(error)})`,
      phase: request.phase,
    });
  }
}

// Counted, not encoded: a request body is measured for every attempt.
export function utf8Bytes(text: string | undefined): number {
  return text === undefined ? 0 : utf8Length(text);
}

export const isSuccessStatus = (status: number): boolean => status >= 200 && status < 300;

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { runtime, limits, onEvent } = options;
  const maxResponseBytes = limits.max_response_bytes ?? LIMIT_DEFAULTS.max_response_bytes;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const maxRetryAfter = options.max_retry_after_ms ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const adaptive = options.adaptive;
  const semaphore = createSemaphore(adaptive?.limit ?? limits.concurrency);
  const pacer = createRequestPacer({ requestsPerSecond: limits.requests_per_second, runtime });

  const canceled = (request: HttpRequest, cause?: unknown) =>
    new EngineError({
      code: "canceled",
      message: `${describeRequest(request.method, request.url)} canceled`,
      phase: request.phase,
      cause,
    });

  const backoffDelay = (attempt: number) => Math.floor(runtime.random() * Math.min(backoff.max_ms, backoff.base_ms * 2 ** (attempt - 1)));

  // A plain map rather than a Headers object: the log reads it back, and a native Headers costs more per request.
  const buildHeaders = async (request: HttpRequest): Promise<{ headers: HeaderMap; auth: HeaderMap }> => {
    const auth = (typeof options.authHeaders === "function" ? await options.authHeaders(request) : options.authHeaders) ?? {};
    return { headers: mergedRequestHeaders(request.headers, auth), auth };
  };
  const deadlines = createDeadlines(runtime, limits.timeout_ms);

  // The attempt's answer (or its absence) tells the adaptive limit how the destination copes.
  function adapt(outcome: Attempt): void {
    if (adaptive === undefined) return;
    const at = runtime.now();
    const status = outcome.kind === "response" || outcome.kind === "too_large" ? outcome.status : null;
    const changed = adaptive.observe({ status, timedOut: outcome.kind === "timeout", sentAt: outcome.sentAt, durationMs: outcome.durationMs, at });
    if (changed !== null) semaphore.limit = changed;
    const note = adaptive.takeNote(at);
    if (note !== null) onEvent?.({ type: "concurrency", note });
  }

  async function attemptOnce(request: HttpRequest, headers: HeaderMap): Promise<Attempt> {
    const release = await semaphore.acquire(request.signal);
    let concurrency = semaphore.limit;
    let sentAt = runtime.now();
    let watch: InFlight | null = null;
    let settled: Attempt | null = null;
    try {
      await pacer.acquire(request.signal);
      concurrency = semaphore.limit;
      sentAt = runtime.now();
      // Runs until the body is read, not only the headers: a body dripping a byte a second is ended too.
      watch = deadlines.start(request.signal);
      const response = await runtime.fetch(request.url, {
        method: request.method,
        headers,
        body: request.body,
        redirect: "manual",
        signal: watch.controller.signal,
      });
      // Browsers report a manual redirect as an opaque response with status 0.
      const status = String(response.type) === "opaqueredirect" ? 302 : response.status;
      // Only a success is the file: an error page at the same address is read as it came.
      const gzipFile = request.gunzipFiles === true && status >= 200 && status <= 299 && isGzipFile(request.url, response.headers);
      let body: BodyText;
      try {
        body = gzipFile ? await readGzipFile(response, maxResponseBytes, request) : await readBody(response, { maxBytes: maxResponseBytes });
      } catch (error) {
        // A file that does not decompress would fail the same way again: it is not retried.
        if (!(error instanceof EngineError) || error.code === "unparseable_response") throw error;
        return (settled = {
          kind: "too_large",
          status,
          headers: response.headers,
          bytesReceived: maxResponseBytes,
          sentAt,
          durationMs: runtime.now() - sentAt,
          concurrency,
        });
      }
      return (settled = {
        kind: "response",
        status,
        headers: response.headers,
        text: body.text,
        bytesReceived: body.bytes,
        sentAt,
        durationMs: runtime.now() - sentAt,
        concurrency,
      });
    } catch (error) {
      if (error instanceof EngineError && error.code === "unparseable_response") throw error;
      if (request.signal?.aborted) throw canceled(request, error);
      if (watch?.timedOut === true) return (settled = { kind: "timeout", sentAt, durationMs: runtime.now() - sentAt, concurrency });
      return (settled = { kind: "network", error, sentAt, durationMs: runtime.now() - sentAt, concurrency });
    } finally {
      if (watch !== null) deadlines.finish(watch);
      // Before the permit is handed on: a request waiting for it goes out under the limit this answer sets.
      if (settled !== null) adapt(settled);
      release();
    }
  }

  async function request(request: HttpRequest): Promise<HttpResponse> {
    const started = runtime.now();
    const accept = request.accept ?? isSuccessStatus;
    const where = describeRequest(request.method, request.url);
    if (!URL.canParse(request.url)) {
      throw new EngineError({ code: "invalid_request", message: `Invalid URL: ${request.url}`, phase: request.phase });
    }
    const bytesSent = utf8Bytes(request.body);
    let maxAttempts = limits.retry_attempts + 1;
    let authRefreshed = false;
    let retryReason: RequestRetryReason | null = null;
    // Whether an earlier attempt may have been applied: it timed out, failed in transit or got a 5xx.
    let mayHaveApplied = false;

    for (let attempt = 1; ; attempt += 1) {
      if (request.signal?.aborted) throw canceled(request, request.signal.reason);
      let built: { headers: HeaderMap; auth: HeaderMap };
      try {
        built = await buildHeaders(request);
      } catch (error) {
        if (error instanceof EngineError) throw error;
        throw new EngineError({
          code: "invalid_request",
          message: `${where}: headers could not be built (${errorText(error)})`,
          phase: request.phase,
          cause: error,
        });
      }
      const trace = options.traceContext === undefined || "traceparent" in built.headers ? null : options.traceContext();
      if (trace !== null) built.headers.traceparent = trace.traceparent;
      const outcome = await attemptOnce(request, built.headers);
      // The permit may have gone to a waiting request, whose fetch only leaves when this turn ends: the answer's
      // bookkeeping waits for the next turn rather than holding that request back. Every answer waits alike, so
      // answers reach their callers in the order their requests were granted.
      if (runtime.yieldToIo !== undefined) await runtime.yieldToIo();
      const exhausted = attempt >= maxAttempts;
      const base = { method: request.method, url: request.url, attempt };
      if (onEvent) onEvent({ type: "request", entry: attemptEntry(request, built, outcome, attempt, retryReason, trace) });

      if (outcome.kind === "response") {
        const { status, text } = outcome;
        onEvent?.({
          type: "response",
          ...base,
          status,
          duration_ms: outcome.durationMs,
          bytes_sent: bytesSent,
          bytes_received: outcome.bytesReceived,
        });
        if (accept(status)) {
          return {
            status,
            headers: outcome.headers,
            text,
            bytesSent,
            bytesReceived: outcome.bytesReceived,
            attempts: attempt,
            durationMs: runtime.now() - started,
          };
        }
        if (status >= 500 && request.mayRetryAfterSend === false) {
          throw notResent(request, `${where} returned ${status}`, { code: "retries_exhausted", http_status: status });
        }
        if (status === 429 || status >= 500) {
          if (status >= 500) mayHaveApplied = true;
          if (exhausted) {
            throw new EngineError({
              code: "retries_exhausted",
              message: `${where} still returned ${status} after ${attempt} attempt${attempt === 1 ? "" : "s"}`,
              http_status: status,
              phase: request.phase,
            });
          }
          const wait = askedWait(outcome.headers, runtime.now(), { resetHeaders: status === 429 });
          if (status === 429) {
            const delay = Math.min(maxRetryAfter, wait?.delayMs ?? backoffDelay(attempt));
            pacer.pauseUntil(runtime.now() + delay);
            onEvent?.({ type: "rate_limited", ...base, status, delay_ms: delay, asked: wait?.asked ?? null });
            retryReason = "rate_limited";
            continue; // the pacer holds the next attempt until the pause ends
          }
          if (wait !== null) {
            // A server error that says when to come back (503 during maintenance, say) speaks for the whole
            // destination: every request waits as asked rather than retrying on the backoff's shorter clock.
            const delay = Math.min(maxRetryAfter, wait.delayMs);
            pacer.pauseUntil(runtime.now() + delay);
            onEvent?.({ type: "retry", ...base, reason: "server_error", status, delay_ms: delay, asked: wait.asked });
            retryReason = "server_error";
            continue;
          }
          await waitBeforeRetry(request, { ...base, reason: "server_error", status });
          retryReason = "server_error";
          continue;
        }
        if (status === 401 && !authRefreshed && options.refreshAuth && (await options.refreshAuth(built.auth))) {
          authRefreshed = true;
          // The resend with new credentials is not one of retry_attempts: a revoked token is no destination fault.
          maxAttempts += 1;
          onEvent?.({ type: "auth_refresh", ...base, status });
          retryReason = "auth_refresh";
          continue;
        }
        throw classifyHttpFailure({ phase: request.phase ?? "update", method: request.method, url: request.url, status, body: text, resent: mayHaveApplied });
      }

      if (outcome.kind === "too_large") {
        onEvent?.({
          type: "response",
          ...base,
          status: outcome.status,
          duration_ms: outcome.durationMs,
          bytes_sent: bytesSent,
          bytes_received: outcome.bytesReceived,
        });
        // Not retried: the same request would stream the same body again.
        throw responseTooLarge({ maxBytes: maxResponseBytes, what: where, phase: request.phase, http_status: outcome.status });
      }

      if (request.mayRetryAfterSend === false) {
        throw outcome.kind === "timeout"
          ? notResent(request, `${where} timed out after ${limits.timeout_ms} ms`, { code: "timeout" })
          : notResent(request, `${where} failed: ${errorText(outcome.error)}`, { code: "network_error", cause: outcome.error });
      }
      if (exhausted) {
        const timedOut = outcome.kind === "timeout";
        throw new EngineError({
          code: timedOut ? "timeout" : "network_error",
          message: timedOut
            ? `${where} timed out after ${limits.timeout_ms} ms (${attempt} attempt${attempt === 1 ? "" : "s"})`
            : `${where} failed: ${errorText(outcome.error)} (${attempt} attempt${attempt === 1 ? "" : "s"})`,
          phase: request.phase,
          cause: outcome.kind === "network" ? outcome.error : undefined,
        });
      }
      const reason = outcome.kind === "timeout" ? "timeout" : "network_error";
      await waitBeforeRetry(request, { ...base, reason, status: null });
      retryReason = reason;
      mayHaveApplied = true;
    }
  }

  function attemptEntry(
    request: HttpRequest,
    built: { headers: HeaderMap; auth: HeaderMap },
    outcome: Attempt,
    attempt: number,
    retryReason: RequestRetryReason | null,
    trace: TraceContext | null,
  ): RequestAttempt {
    const answered = outcome.kind === "response" || outcome.kind === "too_large";
    return {
      ...(trace === null ? {} : { span_id: trace.spanId }),
      phase: request.phase ?? null,
      method: request.method,
      url: request.url,
      serials: request.serials ?? null,
      attempt,
      retry_reason: attempt > 1 ? retryReason : null,
      sent_at: outcome.sentAt,
      concurrency: outcome.concurrency,
      duration_ms: outcome.durationMs,
      request_headers: loggedRequestHeaders(built.headers, Object.keys(built.auth)),
      request_body: request.body ?? null,
      status: answered ? outcome.status : null,
      error:
        outcome.kind === "timeout"
          ? `timed out after ${limits.timeout_ms} ms`
          : outcome.kind === "network"
            ? errorText(outcome.error)
            : outcome.kind === "too_large"
              ? `response larger than ${maxResponseBytes} bytes`
              : null,
      response_headers: loggedResponseHeaders(answered ? outcome.headers : null),
      response_body: outcome.kind === "response" ? outcome.text : null,
    };
  }

  // A transient failure: the record is retried by the next run, after a fresh lookup shows whether it landed.
  function notResent(request: HttpRequest, what: string, init: Pick<EngineErrorInit, "code" | "http_status" | "cause">): EngineError {
    return new EngineError({
      ...init,
      message: `${what}; not sent again: the destination may have applied it and the write carries no idempotency key`,
      phase: request.phase,
      hint:
        "The next run looks the record up before writing it again; set an idempotency header in the update contract " +
        "if the destination honours one, so such writes are retried at once",
    });
  }

  async function waitBeforeRetry(request: HttpRequest, retry: { method: string; url: string; attempt: number; reason: RetryReason; status: number | null }) {
    const delay = backoffDelay(retry.attempt);
    onEvent?.({ type: "retry", ...retry, delay_ms: delay });
    try {
      await runtime.sleep(delay, request.signal);
    } catch (error) {
      throw canceled(request, error);
    }
  }

  return {
    async request(req) {
      try {
        return await request(req);
      } catch (error) {
        // Waits in the semaphore or pacer reject with the raw abort reason.
        if (!(error instanceof EngineError) && req.signal?.aborted) throw canceled(req, error);
        throw error;
      }
    },
  };
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

// An attempt in flight: aborted when its time is up or the caller's signal aborts.
interface InFlight {
  readonly deadline: number;
  readonly controller: AbortController;
  readonly signal: AbortSignal | undefined;
  timedOut: boolean;
}

// One timer and one listener per caller signal for every attempt in flight, rather than a timer, two controllers
// and two listeners each: per request they cost more CPU than the request itself in a run of thousands.
// Every attempt has the same timeout and the clock never goes back, so attempts end their time in the order they began.
function createDeadlines(runtime: EngineRuntime, timeoutMs: number) {
  const pending = new Set<InFlight>();
  const following = createSignalFollowers<InFlight>((attempts, signal) => {
    for (const each of attempts) each.controller.abort(signal.reason);
  });
  let sweeping = false;
  // The sweeper's timer is stopped when the last attempt ends: a timer left running would keep a Durable Object
  // from being evicted for up to the timeout.
  let nap: AbortController | null = null;

  async function sweep(): Promise<void> {
    sweeping = true;
    try {
      for (;;) {
        const first: InFlight | undefined = pending.values().next().value;
        if (first === undefined) return;
        const wait = first.deadline - runtime.now();
        if (wait > 0) {
          nap = new AbortController();
          // Stopped early or not, the loop looks again at what is pending.
          await runtime.sleep(wait, nap.signal).catch(() => undefined);
          nap = null;
          continue;
        }
        pending.delete(first);
        first.timedOut = true;
        first.controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      }
    } finally {
      sweeping = false;
    }
  }

  return {
    start(signal: AbortSignal | undefined): InFlight {
      const attempt: InFlight = { deadline: runtime.now() + timeoutMs, controller: new AbortController(), signal, timedOut: false };
      if (signal !== undefined) {
        if (signal.aborted) attempt.controller.abort(signal.reason);
        else following.add(signal, attempt);
      }
      pending.add(attempt);
      if (!sweeping) void sweep();
      return attempt;
    },
    finish(attempt: InFlight): void {
      pending.delete(attempt);
      if (attempt.signal !== undefined) following.remove(attempt.signal, attempt);
      if (pending.size === 0) nap?.abort();
    },
  };
}
