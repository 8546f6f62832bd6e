import { EngineError, describeRequest, excerpt } from "./errors";
import { loggedRequestHeaders, loggedResponseHeaders, type HeaderMap, type RequestAttempt, type RequestRetryReason } from "./http-client";
import { createRedactor, REDACTED } from "./redactor";
import { readBody } from "./read-body";
import { parseRetryAfter } from "./retry-after";
import { startTimeout, type EngineRuntime } from "./runtime";
import { errorMessage } from "../../shared/lang";

// One token request as a grant makes it: the form, its headers, and what in them is secret.
export interface TokenGrant {
  token_url: string;
  form: URLSearchParams;
  headers: HeaderMap;
  secrets: string[];
  // What to check when the token endpoint refuses.
  hint: string;
  // The signed JWT the request carries, if any.
  assertion?: string;
  // What may be sent again after a failure. "any": nothing is spent by a request the provider may have handled
  // (client credentials, a new assertion each time). "rate_limited": only a 429, which handled nothing, since a
  // refresh token a provider rotated, or a code it redeemed, is refused the second time (and rotation with reuse
  // detection revokes the whole grant).
  resend: "any" | "rate_limited";
  // What the endpoint is called in messages; "OAuth2 token endpoint" when not given.
  what?: string;
  // The answer as logged, when it holds secrets a JSON token response would not name (AWS STS's XML).
  maskAnswer?: (text: string) => string;
}

// An answer as the endpoint gave it, for a caller reading it its own way.
export interface Answered {
  status: number;
  text: string;
  retryAfterMs: number | null;
}

export type ReadAnswer<T> = (answered: Answered, grant: TokenGrant, where: string, attempt: number, now: number) => T;

export interface TokenRequestOptions {
  runtime: Pick<EngineRuntime, "fetch" | "now" | "sleep">;
  timeout_ms?: number;
  // Each token request as sent and answered, for a job's request log; secrets in it are already masked.
  onAttempt?: (attempt: RequestAttempt) => void;
}

export interface CachedToken {
  header: string;
  token: string;
  type: string;
  expiresAt: number;
  expiryStated: boolean;
}

export type TokenAnswer = CachedToken & { refreshToken: string | null };

export const TOKEN_REQUEST_HEADERS: HeaderMap = {
  "content-type": "application/x-www-form-urlencoded",
  accept: "application/json",
};

const DEFAULT_TOKEN_TIMEOUT_MS = 10_000;
// A token response is a small JSON document; a body near this size is not coming from a token endpoint.
const TOKEN_RESPONSE_MAX_BYTES = 1024 * 1024;
// A token response without expires_in is still reused for a while rather than fetched per request.
const DEFAULT_TOKEN_LIFETIME_MS = 5 * 60_000;
export const MAX_TOKEN_CHARS = 16_384;
// A token endpoint's blip (a 502, a dropped connection, a 429) is waited out this many times before the job is told.
const TOKEN_ATTEMPTS = 3;
const TOKEN_BACKOFF_MS = 500;
// A Retry-After longer than this is not waited for: the job fails now and says so.
const TOKEN_RETRY_AFTER_CAP_MS = 10_000;

// As a token endpoint's token_type names the scheme: "bearer" in any case is sent as Bearer.
export function cachedToken(token: string, tokenType: string, expiresAt: number, expiryStated: boolean): CachedToken {
  const scheme = tokenType.toLowerCase() === "bearer" ? "Bearer" : tokenType;
  return { header: `${scheme} ${token}`, token, type: scheme, expiresAt, expiryStated };
}

// The grant is made again for each attempt, so an assertion is never sent twice (a provider may refuse a jti it saw).
export function requestToken(make: () => Promise<TokenGrant>, options: TokenRequestOptions, onGrant?: (grant: TokenGrant) => void): Promise<TokenAnswer> {
  return postWithRetries(make, options, tokenOf, onGrant);
}

// A form POST to an endpoint that issues credentials, sent again after a blip as the grant allows, read by `read`.
export async function postWithRetries<T>(
  make: () => Promise<TokenGrant>,
  options: TokenRequestOptions,
  read: ReadAnswer<T>,
  onGrant?: (grant: TokenGrant) => void,
): Promise<T> {
  const { runtime } = options;
  let reason: RequestRetryReason | null = null;
  for (let attempt = 1; ; attempt++) {
    const grant = await make();
    onGrant?.(grant);
    const where = `${grant.what ?? "OAuth2 token endpoint"} ${describeRequest("POST", grant.token_url).replace(/^POST /, "")}`;
    const last = attempt >= TOKEN_ATTEMPTS;
    let answered: Answered;
    try {
      answered = await sendOnce(grant, options, where, attempt, reason);
    } catch (error) {
      const unanswered = error instanceof EngineError && (error.code === "timeout" || error.code === "network_error");
      if (!unanswered || last || grant.resend !== "any") throw error;
      reason = error.code as "timeout" | "network_error";
      await runtime.sleep(TOKEN_BACKOFF_MS * 2 ** (attempt - 1));
      continue;
    }
    const { status } = answered;
    const transient = status === 429 || (status >= 500 && grant.resend === "any");
    const delay = answered.retryAfterMs ?? TOKEN_BACKOFF_MS * 2 ** (attempt - 1);
    if (transient && !last && delay <= TOKEN_RETRY_AFTER_CAP_MS) {
      reason = status === 429 ? "rate_limited" : "server_error";
      await runtime.sleep(delay);
      continue;
    }
    return read(answered, grant, where, attempt, runtime.now());
  }
}

async function sendOnce(grant: TokenGrant, options: TokenRequestOptions, where: string, attempt: number, reason: RequestRetryReason | null): Promise<Answered> {
  const { runtime } = options;
  const timeoutMs = options.timeout_ms ?? DEFAULT_TOKEN_TIMEOUT_MS;
  const scrub = createRedactor(() => grant.secrets).redact;
  const { form, headers } = grant;

  const timeout = startTimeout(runtime, timeoutMs);
  const { controller } = timeout;
  const sentAt = runtime.now();
  const logged: Omit<RequestAttempt, "duration_ms" | "status" | "error" | "response_headers" | "response_body"> = {
    phase: "token",
    method: "POST",
    url: grant.token_url,
    serials: null,
    attempt,
    retry_reason: attempt > 1 ? reason : null,
    sent_at: sentAt,
    concurrency: null,
    request_headers: loggedRequestHeaders(headers),
    request_body: maskTokenForm(form),
  };
  let reported = false;
  // Once per request: a body that fails to read is reported where it fails, not again as a network error.
  const report = (answer: Pick<RequestAttempt, "status" | "error" | "response_headers" | "response_body">) => {
    if (reported) return;
    reported = true;
    options.onAttempt?.({ ...logged, duration_ms: runtime.now() - sentAt, ...answer });
  };

  try {
    const response = await runtime.fetch(grant.token_url, {
      method: "POST",
      headers,
      body: form.toString(),
      redirect: "manual",
      signal: controller.signal,
    });
    const status = response.status;
    let body: Awaited<ReturnType<typeof readBody>>;
    try {
      body = await readBody(response, {
        maxBytes: TOKEN_RESPONSE_MAX_BYTES,
        what: where,
        hint: "Check the credential's token URL: a token endpoint answers with a small JSON document",
      });
    } catch (error) {
      report({ status, error: errorMessage(error), response_headers: loggedResponseHeaders(response.headers), response_body: null });
      throw error;
    }
    const shown = (grant.maskAnswer ?? maskTokenResponse)(body.text);
    report({ status, error: null, response_headers: loggedResponseHeaders(response.headers), response_body: shown });
    return { status, text: body.text, retryAfterMs: parseRetryAfter(response.headers.get("retry-after"), runtime.now()) };
  } catch (error) {
    if (error instanceof EngineError) throw error;
    report({
      status: null,
      error: timeout.timedOut() ? `timed out after ${timeoutMs} ms` : scrub(errorMessage(error)),
      response_headers: {},
      response_body: null,
    });
    if (timeout.timedOut()) {
      throw new EngineError({
        code: "timeout",
        message: `${where} did not answer within ${timeoutMs} ms${tries(attempt)}`,
        hint: "Check the credential's token URL and that the token endpoint is reachable",
      });
    }
    throw new EngineError({
      code: "network_error",
      message: scrub(`${where} could not be reached${tries(attempt)}: ${errorMessage(error)}`),
      hint: "Check the credential's token URL and that the token endpoint is reachable",
    });
  } finally {
    timeout.stop();
  }
}

function tokenOf({ status, text }: Answered, grant: TokenGrant, where: string, attempt: number, now: number): TokenAnswer {
  if (status < 200 || status >= 300) {
    const scrub = createRedactor(() => grant.secrets).redact;
    throw new EngineError({
      code: "auth_failed",
      http_status: status,
      message: scrub(`${where} returned ${status}${tries(attempt)}${excerpt(text)}`),
      hint: grant.hint,
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new EngineError({
      code: "unparseable_response",
      http_status: status,
      message: `${where} returned a body that is not JSON`,
      hint: "Check the credential's token URL: it should be the OAuth2 token endpoint",
    });
  }
  const fields = (body ?? {}) as { access_token?: unknown; token_type?: unknown; expires_in?: unknown; refresh_token?: unknown };
  if (typeof fields.access_token !== "string" || fields.access_token === "") {
    throw new EngineError({
      code: "auth_failed",
      http_status: status,
      message: `${where} answered without an access_token`,
      hint: "Check the credential's token URL: it should be the OAuth2 token endpoint",
    });
  }
  const type = typeof fields.token_type === "string" && fields.token_type !== "" ? fields.token_type : "Bearer";
  const expiresIn = Number(fields.expires_in);
  const stated = Number.isFinite(expiresIn) && expiresIn > 0;
  const lifetime = stated ? expiresIn * 1000 : DEFAULT_TOKEN_LIFETIME_MS;
  const refreshToken = typeof fields.refresh_token === "string" && fields.refresh_token !== "" ? fields.refresh_token : null;
  for (const [what, token] of [
    ["an access token", fields.access_token],
    ["a refresh token", refreshToken ?? ""],
  ] as const) {
    // Real ones are a few kilobytes at most: an access token goes into every request's headers, a refresh token into
    // the ledger and the keeper's storage.
    if (token.length > MAX_TOKEN_CHARS) {
      throw new EngineError({
        code: "invalid_response_shape",
        http_status: status,
        message: `${where} answered ${what} of ${token.length.toLocaleString("en-US")} characters; at most ${MAX_TOKEN_CHARS.toLocaleString("en-US")} are taken`,
        hint: "Check the credential's token URL: it should be the provider's OAuth2 token endpoint",
      });
    }
  }
  return { ...cachedToken(fields.access_token, type, now + lifetime, stated), refreshToken };
}

export function tries(attempt: number): string {
  return attempt > 1 ? ` (attempt ${attempt} of ${TOKEN_ATTEMPTS})` : "";
}

// The token request's body as logged: the client secret or signed assertion never leaves in a log, whatever the
// redactor knows.
function maskTokenForm(form: URLSearchParams): string {
  const shown = new URLSearchParams(form);
  for (const field of ["client_secret", "assertion", "client_assertion", "refresh_token", "code", "code_verifier"])
    if (shown.has(field)) shown.set(field, REDACTED);
  return shown.toString();
}

const TOKEN_FIELDS = ["access_token", "refresh_token", "id_token"] as const;

// A token response as logged: its tokens masked field by field (JSON), or the whole body when it is not JSON
// but names one.
function maskTokenResponse(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return TOKEN_FIELDS.some((field) => text.includes(field)) ? REDACTED : text;
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return text;
  const shown: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of TOKEN_FIELDS) if (field in shown) shown[field] = REDACTED;
  return JSON.stringify(shown);
}
