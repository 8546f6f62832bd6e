import type { AssertionInfo, CredentialHeaders } from "./credential-auth";
import { EngineError, describeRequest } from "./errors";
import { readBody } from "./read-body";
import { createRedactor } from "./redactor";
import { startTimeout, type EngineRuntime } from "./runtime";
import { errorMessage } from "../../shared/lang";

export interface TestAuthOptions {
  // Null: only fetch an OAuth2 token, call nothing else.
  url: string | null;
  auth: CredentialHeaders;
  runtime: Pick<EngineRuntime, "fetch" | "now" | "sleep">;
  timeoutMs: number;
  excerptChars?: number;
  signal?: AbortSignal;
}

export interface TestAuthReport {
  ok: boolean;
  request: { method: "GET"; url: string; status: number | null; duration_ms: number } | null;
  excerpt: string | null;
  excerpt_truncated: boolean;
  // OAuth2 only: the token's type and expiry, never the token.
  token: { token_type: string; expires_at: string; expires_in_s: number; expiry_stated: boolean } | null;
  // A credential that signs JWTs: the last one's header and claims, without its signature.
  assertion: AssertionInfo | null;
  error?: { code: string; message: string; hint: string; http_status: number | null };
}

export const TEST_AUTH_EXCERPT_CHARS = 500;

type Failure = NonNullable<TestAuthReport["error"]>;

/**
 * Sends one GET with the credential's auth (an OAuth2 credential fetches its token first) and reports the status,
 * how long it took and the start of the body. Every string it returns is masked with the credential's secrets.
 */
export async function runTestAuth(options: TestAuthOptions): Promise<TestAuthReport> {
  const { auth, runtime } = options;
  const report: TestAuthReport = { ok: false, request: null, excerpt: null, excerpt_truncated: false, token: null, assertion: null };
  try {
    // A signing credential (AWS) signs the GET it is about to send.
    const headers = await auth.headers(options.url === null ? undefined : { method: "GET", url: options.url });
    report.token = tokenOf(auth, runtime.now());
    report.assertion = auth.assertionInfo();
    if (options.url === null) {
      report.ok = report.token !== null;
    } else {
      await send(options, options.url, headers, report);
    }
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    report.ok = false;
    // Refused by the token endpoint: what was asserted is what to compare with its reason.
    report.assertion = auth.assertionInfo();
    report.error = { code: error.code, message: error.message, hint: error.hint, http_status: error.http_status };
  }
  // Asked at the end, so a token fetched on the way is masked too.
  return createRedactor(() => auth.secrets()).redactValue(report);
}

function tokenOf(auth: CredentialHeaders, now: number): TestAuthReport["token"] {
  const info = auth.tokenInfo();
  if (info === null) return null;
  return {
    token_type: info.token_type,
    expires_at: new Date(info.expires_at).toISOString(),
    expires_in_s: Math.max(0, Math.round((info.expires_at - now) / 1000)),
    expiry_stated: info.expiry_stated,
  };
}

async function send(options: TestAuthOptions, url: string, headers: Record<string, string>, report: TestAuthReport): Promise<void> {
  const { runtime, timeoutMs } = options;
  const maxChars = options.excerptChars ?? TEST_AUTH_EXCERPT_CHARS;
  const what = describeRequest("GET", url);
  const timeout = startTimeout(runtime, timeoutMs);
  const { controller } = timeout;
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });

  const started = runtime.now();
  report.request = { method: "GET", url, status: null, duration_ms: 0 };
  try {
    const response = await runtime.fetch(url, {
      method: "GET",
      headers: { accept: "application/json, */*;q=0.5", ...headers },
      // A redirect is reported, not followed: the credential goes only to the URL that was asked for.
      redirect: "manual",
      signal: controller.signal,
    });
    report.request.status = response.status;
    // UTF-8 is at most 4 bytes a character; a few more tell that the body was cut.
    const body = await readBody(response, { maxBytes: maxChars * 4 + 4, truncate: true, what });
    const flat = body.text.replace(/\s+/g, " ").trim();
    report.excerpt = flat === "" ? null : flat.slice(0, maxChars);
    report.excerpt_truncated = body.truncated || flat.length > maxChars;
    report.ok = response.status >= 200 && response.status < 300;
    if (!report.ok) report.error = statusFailure(what, response.status, response.headers.get("location"));
  } catch (error) {
    if (error instanceof EngineError) throw error;
    const reason = errorMessage(error);
    throw new EngineError({
      code: timeout.timedOut() ? "timeout" : "network_error",
      message: timeout.timedOut() ? `${what} did not answer within ${timeoutMs} ms` : `${what} could not be reached: ${reason}`,
      hint: "Check the URL and that the destination is reachable from the Worker",
    });
  } finally {
    report.request.duration_ms = runtime.now() - started;
    timeout.stop();
    options.signal?.removeEventListener("abort", onAbort);
  }
}

function statusFailure(what: string, status: number, location: string | null): Failure {
  const base = { code: "auth_failed", http_status: status };
  if (status === 401 || status === 403) {
    return {
      ...base,
      message: `${what} refused the credential (${status})`,
      hint: "Check the secret, the scheme and, for an API key, the header name the destination expects",
    };
  }
  if (status >= 300 && status < 400) {
    return {
      ...base,
      code: "redirected",
      message: `${what} redirected${location ? ` to ${location}` : ""}; redirects are not followed`,
      hint: "Test the URL the destination redirects to, if it is the destination's own",
    };
  }
  return {
    ...base,
    code: status >= 500 ? "destination_error" : "unexpected_status",
    message: `${what} returned ${status}`,
    hint:
      status === 404
        ? "Nothing is at that path, so this says little about the credential: try an API path you know exists"
        : "See the response excerpt for the destination's reason",
  };
}
