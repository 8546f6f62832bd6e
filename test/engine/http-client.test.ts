import { describe, expect, it, vi } from "vitest";
import { createCredentialHeaders, credentialClientAuth, type CredentialAuth } from "../../worker/engine/credential-auth";
import { EngineError } from "../../worker/engine/errors";
import { askedWait, parseRetryAfter } from "../../worker/engine/retry-after";
import { createSystemRuntime } from "../../worker/engine/runtime";
import { makeClient } from "./factories";
import { caught, useLoopbackServers } from "./support/engine-fixtures";
import { startLoopbackServer, type LoopbackReply, type LoopbackServer } from "./support/loopback-server";

const serve = useLoopbackServers();

async function engineError(promise: Promise<unknown>): Promise<EngineError> {
  const error = await caught(promise);
  expect(error).toBeInstanceOf(EngineError);
  return error as EngineError;
}

describe("retries", () => {
  it("retries a 500 and returns the success that follows", async () => {
    const server = await serve(() => (server.requests.length === 1 ? { status: 500, body: "boom" } : { body: { ok: true } }));
    const { client, events } = makeClient();

    const response = await client.request({ method: "GET", url: `${server.url}/devices/A1` });

    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ ok: true });
    expect(response.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
    expect(events.filter((event) => event.type === "retry")).toMatchObject([{ reason: "server_error", status: 500, attempt: 1 }]);
  });

  it("gives up after the configured retry attempts with a retryable error", async () => {
    const server = await serve(() => ({ status: 503 }));
    const { client } = makeClient({ limits: { retry_attempts: 2 } });

    const error = await engineError(client.request({ method: "PUT", url: `${server.url}/devices/A1`, body: "{}" }));

    expect(server.requests).toHaveLength(3);
    expect(error).toMatchObject({ code: "retries_exhausted", http_status: 503, retryable: true });
    expect(error.message).toContain("after 3 attempts");
  });

  it("marks a refusal that answered a resend after an attempt that may have been applied (5xx, timeout), not after a 429", async () => {
    const answers = [{ status: 503 }, { status: 412, body: { error: "stale" } }];
    const resent = await serve(() => answers[resent.requests.length - 1]!);
    const { client } = makeClient();
    const afterServerError = await engineError(client.request({ method: "PATCH", url: `${resent.url}/devices/A1`, body: "{}", phase: "update" }));
    expect(afterServerError).toMatchObject({ http_status: 412, resent: true, retryable: false });

    const throttled = await serve(() => (throttled.requests.length === 1 ? { status: 429, headers: { "retry-after": "0" } } : { status: 412 }));
    expect(await engineError(client.request({ method: "PATCH", url: `${throttled.url}/devices/A1`, body: "{}", phase: "update" }))).toMatchObject({
      http_status: 412,
      resent: false,
    });

    const first = await serve(() => ({ status: 412 }));
    expect(await engineError(client.request({ method: "PATCH", url: `${first.url}/devices/A1`, body: "{}", phase: "update" }))).toMatchObject({
      resent: false,
    });
  });

  it("does not retry contract errors", async () => {
    const server = await serve(() => ({ status: 405 }));
    const { client } = makeClient();

    await engineError(client.request({ method: "PATCH", url: `${server.url}/devices/A1`, phase: "update" }));

    expect(server.requests).toHaveLength(1);
  });

  it("reports a refused connection as a network error after retrying", async () => {
    const closed = await startLoopbackServer(() => ({}));
    await closed.close();
    const { client, events } = makeClient({ limits: { retry_attempts: 1 } });

    const error = await engineError(client.request({ method: "GET", url: `${closed.url}/devices` }));

    expect(error).toMatchObject({ code: "network_error", retryable: true, http_status: null });
    expect(events.filter((event) => event.type === "retry")).toMatchObject([{ reason: "network_error" }]);
  });
});

describe("rate limiting by the destination", () => {
  it("waits for the Retry-After seconds of a 429 before retrying", async () => {
    const server = await serve(() => (server.requests.length === 1 ? { status: 429, headers: { "retry-after": "1" } } : { body: { ok: true } }));
    const { client, events } = makeClient();

    const response = await client.request({ method: "GET", url: `${server.url}/devices` });

    const [first, second] = server.requests;
    expect(response.status).toBe(200);
    expect(response.attempts).toBe(2);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
    expect(events.filter((event) => event.type === "rate_limited")).toMatchObject([{ status: 429, delay_ms: 1000, asked: "Retry-After: 1", attempt: 1 }]);
  });

  it("caps a long Retry-After", async () => {
    const server = await serve(() => (server.requests.length === 1 ? { status: 429, headers: { "retry-after": "3600" } } : { body: "[]" }));
    const { client, events } = makeClient({ max_retry_after_ms: 100 });

    await client.request({ method: "GET", url: `${server.url}/devices` });

    const [first, second] = server.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(90);
    expect(second!.receivedAt - first!.receivedAt).toBeLessThan(1000);
    expect(events.find((event) => event.type === "rate_limited")).toMatchObject({ delay_ms: 100 });
  });

  it("counts each 429 as a retry and fails when they run out", async () => {
    const server = await serve(() => ({ status: 429, headers: { "retry-after": "0" } }));
    const { client } = makeClient({ limits: { retry_attempts: 1 } });

    const error = await engineError(client.request({ method: "GET", url: `${server.url}/devices` }));

    expect(server.requests).toHaveLength(2);
    expect(error).toMatchObject({ code: "retries_exhausted", http_status: 429 });
    expect(error.hint).toMatch(/requests per second/);
  });

  it("waits until the rate-limit window resets when a 429 names no Retry-After", async () => {
    const server = await serve(() =>
      server.requests.length === 1 ? { status: 429, headers: { "x-ratelimit-reset": "1", "x-ratelimit-remaining": "0" } } : { body: "[]" },
    );
    const { client, events } = makeClient();

    await client.request({ method: "GET", url: `${server.url}/devices` });

    const [first, second] = server.requests;
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
    expect(events.find((event) => event.type === "rate_limited")).toMatchObject({ delay_ms: 1000, asked: "X-RateLimit-Reset: 1" });
  });

  it("reads the reset from the IETF RateLimit fields and from X-RateLimit-Reset as a delay or an epoch time", () => {
    const now = Date.parse("2026-11-20T10:00:00Z");
    const waitFor = (headers: Record<string, string>) => askedWait(new Headers(headers), now, { resetHeaders: true });
    expect(waitFor({ ratelimit: '"default";r=0;t=12' })).toEqual({ delayMs: 12_000, asked: "RateLimit: t=12" });
    expect(waitFor({ "ratelimit-reset": "3" })).toEqual({ delayMs: 3000, asked: "RateLimit-Reset: 3" });
    expect(waitFor({ "x-ratelimit-reset": String(now / 1000 + 20) })?.delayMs).toBe(20_000);
    expect(waitFor({ "x-ratelimit-reset": String(now + 1500) })?.delayMs).toBe(1500);
    // A reset already past waits nothing; Retry-After wins over any reset; nothing readable leaves it to the backoff.
    expect(waitFor({ "x-ratelimit-reset": String(now / 1000 - 5) })?.delayMs).toBe(0);
    expect(waitFor({ "retry-after": "2", "x-ratelimit-reset": "60" })).toEqual({ delayMs: 2000, asked: "Retry-After: 2" });
    expect(waitFor({ "x-ratelimit-reset": "soon", ratelimit: "limit=10" })).toBeNull();
    expect(askedWait(new Headers({ "x-ratelimit-reset": "60" }), now, { resetHeaders: false })).toBeNull();
  });

  it("reads Retry-After given as an HTTP date", () => {
    const now = Date.parse("2026-11-20T10:00:00Z");
    expect(parseRetryAfter("Fri, 20 Nov 2026 10:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("soon", now)).toBeNull();
  });
});

describe("a server error that says when to come back", () => {
  it("waits for the Retry-After of a 503 instead of the backoff, and holds the requests beside it too", async () => {
    const server = await serve((request) =>
      request.url.pathname === "/first" && server.requests.filter((r) => r.url.pathname === "/first").length === 1
        ? { status: 503, headers: { "retry-after": "1" } }
        : { body: "{}" },
    );
    const { client, events } = makeClient({ limits: { retry_attempts: 1 } });

    const first = client.request({ method: "GET", url: `${server.url}/first` });
    await vi.waitFor(() => expect(events.some((event) => event.type === "retry")).toBe(true));
    const beside = client.request({ method: "GET", url: `${server.url}/beside` });
    await Promise.all([first, beside]);

    const [sent, besideSent, resent] = [server.requests[0]!, server.requests.find((r) => r.url.pathname === "/beside")!, server.requests.at(-1)!];
    expect(besideSent.receivedAt - sent.receivedAt).toBeGreaterThanOrEqual(900);
    expect(resent.receivedAt - sent.receivedAt).toBeGreaterThanOrEqual(950);
    expect(events.filter((event) => event.type === "retry")).toMatchObject([{ reason: "server_error", status: 503, delay_ms: 1000, asked: "Retry-After: 1" }]);
  });
});

describe("limits", () => {
  it("times out a slow response and retries it", async () => {
    const server = await serve(() => ({ delayMs: 1000, body: "late" }));
    const { client, events } = makeClient({ limits: { timeout_ms: 50, retry_attempts: 1 } });
    const started = performance.now();

    const error = await engineError(client.request({ method: "GET", url: `${server.url}/slow` }));

    expect(performance.now() - started).toBeLessThan(600);
    expect(server.requests).toHaveLength(2);
    expect(error).toMatchObject({ code: "timeout", retryable: true });
    expect(error.message).toContain("50 ms");
    expect(events.filter((event) => event.type === "retry")).toMatchObject([{ reason: "timeout" }]);
  });

  it("times out only the late attempt: requests sent beside it, and after its time is up, each get their own time", async () => {
    const server = await serve((request) => (request.url.pathname === "/slow" ? { delayMs: 3000, body: "late" } : { delayMs: 150, body: "{}" }));
    const { client } = makeClient({ limits: { timeout_ms: 400, retry_attempts: 0 } });

    const slow = engineError(client.request({ method: "GET", url: `${server.url}/slow` }));
    const answered: number[] = [];
    for (const n of [1, 2, 3, 4]) answered.push((await client.request({ method: "GET", url: `${server.url}/quick/${n}` })).status);

    expect(answered).toEqual([200, 200, 200, 200]);
    expect(await slow).toMatchObject({ code: "timeout" });
  });

  it("refuses a header that is not an HTTP token as a contract error, sending nothing", async () => {
    const server = await serve(() => ({ body: "{}" }));
    const { client } = makeClient();

    const error = await engineError(client.request({ method: "GET", url: `${server.url}/devices/A1`, headers: { "x bad": "1" } }));

    expect(error).toMatchObject({ code: "invalid_request", retryable: false });
    expect(error.message).toContain("headers could not be built");
    expect(server.requests).toHaveLength(0);
  });

  it("spaces requests to the requests-per-second limit", async () => {
    const server = await serve(() => ({ body: "{}" }));
    const { client, events } = makeClient({ limits: { requests_per_second: 20, concurrency: 6 } });
    const started = performance.now();

    await Promise.all(Array.from({ length: 6 }, (_, i) => client.request({ method: "GET", url: `${server.url}/devices/${i}` })));

    // Six requests at 20/s need five 50 ms gaps; unpaced they would all go within a few milliseconds. Read where
    // the client sent them: arrival times at a loaded machine's server bunch up behind the first connection's set-up.
    const sent = events.flatMap((event) => (event.type === "request" ? [event.entry.sent_at] : [])).sort((a, b) => a - b);
    expect(performance.now() - started).toBeGreaterThanOrEqual(245);
    expect(sent.at(-1)! - sent[0]!).toBeGreaterThanOrEqual(245);
  });

  it("never has more requests in flight than the concurrency limit", async () => {
    const server = await serve(() => ({ delayMs: 40, body: "{}" }));
    const { client } = makeClient({ limits: { concurrency: 2 } });

    await Promise.all(Array.from({ length: 8 }, (_, i) => client.request({ method: "GET", url: `${server.url}/devices/${i}` })));

    expect(server.requests).toHaveLength(8);
    expect(server.maxInFlight).toBe(2);
  });

  it("hands an answer to its caller only after the runtime's next turn, when the freed permit's request has been fetched", async () => {
    const server = await serve(() => ({ body: "{}" }));
    const fetched: string[] = [];
    const turns: Array<() => void> = [];
    const runtime = createSystemRuntime({
      fetch: (input, init) => {
        fetched.push(String(input));
        return fetch(input, init);
      },
      // The next turn comes when the test says so.
      yieldToIo: () => new Promise<void>((resolve) => turns.push(resolve)),
    });
    const { client } = makeClient({ runtime, limits: { concurrency: 1 } });
    const [first, second] = ["A", "B"].map((id) => `${server.url}/devices/${id}`) as [string, string];
    let answered = 0;
    const requests = [first, second].map((url) => client.request({ method: "GET", url }).then(() => (answered += 1)));

    await expect.poll(() => turns.length).toBeGreaterThan(0);
    // A's answer is read and its permit went to B, whose fetch is out; A's caller has not seen the answer yet.
    await expect.poll(() => fetched).toEqual([first, second]);
    expect(answered).toBe(0);
    turns.shift()!();
    await expect.poll(() => answered).toBe(1);
    await expect.poll(() => turns.length).toBe(1);
    turns.shift()!();
    await Promise.all(requests);
    expect(answered).toBe(2);
  });
});

describe("responses", () => {
  it("does not follow redirects", async () => {
    const server = await serve((request) => (request.url.pathname === "/moved" ? { status: 302, headers: { location: "/elsewhere" } } : { body: "{}" }));
    const { client } = makeClient();

    const error = await engineError(client.request({ method: "PUT", url: `${server.url}/moved`, body: "{}" }));

    expect(server.requests.map((request) => request.url.pathname)).toEqual(["/moved"]);
    expect(error).toMatchObject({ code: "redirect_not_followed", http_status: 302, retryable: false });
  });

  it("counts request and response bodies in UTF-8 bytes", async () => {
    const reply = JSON.stringify({ name: "Äußere Tür ✓" });
    const server = await serve(() => ({ body: reply }));
    const { client } = makeClient();
    const body = JSON.stringify({ label: "café €" });

    const response = await client.request({ method: "PUT", url: `${server.url}/devices/A1`, body });

    expect(response.bytesSent).toBe(Buffer.byteLength(body));
    expect(response.bytesSent).toBeGreaterThan(body.length);
    expect(server.requests[0]!.bodyBytes).toBe(response.bytesSent);
    expect(response.bytesReceived).toBe(Buffer.byteLength(reply));
    expect(response.text).toBe(reply);
  });

  it("sends the credential's headers over the contract's", async () => {
    const server = await serve(() => ({ body: "{}" }));
    const { client } = makeClient({ authHeaders: async () => ({ Authorization: "Bearer live-token" }) });

    await client.request({
      method: "GET",
      url: `${server.url}/devices`,
      headers: { authorization: "Bearer stale", accept: "application/json" },
    });

    expect(server.requests[0]!.headers).toMatchObject({
      authorization: "Bearer live-token",
      accept: "application/json",
    });
  });

  it("sends each attempt its own trace context and names its span in the attempt, unless the request sets one", async () => {
    let answered = 0;
    // The first attempt meets a 503: its retry is another attempt, with a context of its own.
    const server = await serve(() => (++answered === 1 ? { status: 503, body: "" } : { body: "{}" }));
    let made = 0;
    const traceContext = () => {
      made += 1;
      const spanId = String(made).padStart(16, "0");
      return { spanId, traceparent: `00-${"a".repeat(32)}-${spanId}-01` };
    };
    const { client, events } = makeClient({ traceContext });

    await client.request({ method: "GET", url: `${server.url}/a` });
    await client.request({ method: "GET", url: `${server.url}/b`, headers: { TraceParent: "00-own" } });

    expect(server.requests.map((r) => r.headers.traceparent)).toEqual([
      `00-${"a".repeat(32)}-0000000000000001-01`,
      `00-${"a".repeat(32)}-0000000000000002-01`,
      "00-own",
    ]);
    const attempts = events.flatMap((event) => (event.type === "request" ? [event.entry] : []));
    expect(attempts.map((entry) => [entry.span_id, entry.request_headers.traceparent])).toEqual([
      ["0000000000000001", `00-${"a".repeat(32)}-0000000000000001-01`],
      ["0000000000000002", `00-${"a".repeat(32)}-0000000000000002-01`],
      [undefined, "00-own"],
    ]);

    const untraced = makeClient();
    await untraced.client.request({ method: "GET", url: `${server.url}/c` });
    expect(server.requests[3]!.headers.traceparent).toBeUndefined();
  });

  it("passes on a credential failure from the auth header provider unchanged", async () => {
    const server = await serve(() => ({ body: "{}" }));
    const refused = new EngineError({ code: "auth_failed", message: "token endpoint returned 401", http_status: 401 });
    const { client } = makeClient({ authHeaders: async () => Promise.reject(refused) });

    const error = await engineError(client.request({ method: "GET", url: `${server.url}/devices` }));

    expect(error).toBe(refused);
    expect(server.requests).toHaveLength(0);
  });

  it("returns a status the caller accepts instead of throwing", async () => {
    const server = await serve(() => ({ status: 404 }));
    const { client } = makeClient();

    const response = await client.request({
      method: "GET",
      url: `${server.url}/devices/X`,
      accept: (status) => status === 404 || (status >= 200 && status < 300),
    });

    expect(response.status).toBe(404);
  });
});

describe("an access token the destination rejects with 401", () => {
  // A token endpoint that numbers the tokens it issues: access-1, access-2, ...
  async function tokenEndpoint(): Promise<LoopbackServer> {
    const server = await serve(() => ({ body: { access_token: `access-${server.requests.length}`, token_type: "bearer", expires_in: 3600 } }));
    return server;
  }

  function oauth2Client(tokens: LoopbackServer, limits: { retry_attempts?: number } = {}) {
    const auth: CredentialAuth = {
      scheme: "oauth2_client_credentials",
      token_url: `${tokens.url}/token`,
      client_id: "client-1",
      client_secret: "client-secret",
      client_auth: "basic",
    };
    const credential = createCredentialHeaders(auth, { runtime: createSystemRuntime() });
    return makeClient({ ...credentialClientAuth(() => credential), limits });
  }

  const rejects = (token: string) => (request: { headers: Record<string, unknown> }) =>
    request.headers.authorization === `Bearer ${token}` ? { status: 401, body: "token revoked" } : { body: "{}" };

  it("fetches a new OAuth2 token and sends the request once more with it", async () => {
    const tokens = await tokenEndpoint();
    const destination = await serve(rejects("access-1"));
    const { client, events } = oauth2Client(tokens);

    const response = await client.request({ method: "PUT", url: `${destination.url}/devices/A1`, body: "{}", phase: "update" });

    expect(response.status).toBe(200);
    expect(response.attempts).toBe(2);
    expect(tokens.requests).toHaveLength(2);
    expect(destination.requests.map((r) => r.headers.authorization)).toEqual(["Bearer access-1", "Bearer access-2"]);
    expect(destination.requests[1]!.body).toBe("{}");
    expect(events.filter((event) => event.type === "auth_refresh")).toEqual([
      { type: "auth_refresh", method: "PUT", url: `${destination.url}/devices/A1`, attempt: 1, status: 401 },
    ]);
  });

  it("fails as a 401 when the new token is rejected too, without a third attempt", async () => {
    const tokens = await tokenEndpoint();
    const destination = await serve(() => ({ status: 401, body: "no" }));
    const { client } = oauth2Client(tokens);

    const error = await engineError(client.request({ method: "PUT", url: `${destination.url}/devices/A1`, body: "{}", phase: "update" }));

    expect(error).toMatchObject({ code: "auth_failed", http_status: 401, retryable: false });
    expect(error.hint).toMatch(/credential/);
    expect(destination.requests).toHaveLength(2);
    expect(tokens.requests).toHaveLength(2);
  });

  it("does not resend when the credential is a static bearer token", async () => {
    const destination = await serve(() => ({ status: 401 }));
    const credential = createCredentialHeaders({ scheme: "bearer", token: "fixed" }, { runtime: createSystemRuntime() });
    const { client, events } = makeClient(credentialClientAuth(() => credential));

    const error = await engineError(client.request({ method: "GET", url: `${destination.url}/devices/A1`, phase: "lookup" }));

    expect(error).toMatchObject({ code: "auth_failed", http_status: 401 });
    expect(destination.requests).toHaveLength(1);
    expect(events.some((event) => event.type === "auth_refresh")).toBe(false);
  });

  it("fetches one new token for requests rejected together", async () => {
    const tokens = await tokenEndpoint();
    // The rejections arrive 40 ms apart, so later ones come after the new token is already in hand.
    const destination = await serve((request) =>
      request.headers.authorization === "Bearer access-1" ? { status: 401, delayMs: Number(request.url.pathname.split("/").pop()) * 40 } : { body: "{}" },
    );
    const { client, events } = oauth2Client(tokens);

    const responses = await Promise.all([0, 1, 2, 3].map((i) => client.request({ method: "GET", url: `${destination.url}/devices/${i}` })));

    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(tokens.requests).toHaveLength(2);
    expect(destination.requests.filter((r) => r.headers.authorization === "Bearer access-2")).toHaveLength(4);
    expect(events.filter((event) => event.type === "auth_refresh")).toHaveLength(4);
  });

  it("keeps the retries for server errors after a resend with a new token", async () => {
    const tokens = await tokenEndpoint();
    let sent = 0;
    const destination = await serve((request) => {
      sent += 1;
      if (request.headers.authorization === "Bearer access-1") return { status: 401 };
      return sent === 2 ? { status: 503 } : { body: "{}" };
    });
    const { client, events } = oauth2Client(tokens, { retry_attempts: 1 });

    const response = await client.request({ method: "GET", url: `${destination.url}/devices/A1` });

    expect(response.status).toBe(200);
    expect(response.attempts).toBe(3);
    expect(events.filter((event) => event.type !== "response" && event.type !== "request").map((event) => event.type)).toEqual(["auth_refresh", "retry"]);
  });
});

describe("classification of contract errors", () => {
  const cases = [
    {
      status: 400,
      body: { error: { code: "INVALID_CONTENT", field: "colour" } },
      code: "invalid_content",
      hint: "Validate mapping field names and formatter selections",
    },
    { status: 400, body: "missing field", code: "bad_request", hint: /payload the mapping builds/ },
    { status: 401, body: "", code: "auth_failed", hint: /credential/ },
    { status: 403, body: "", code: "auth_failed", hint: /credential/ },
    { status: 404, body: "", code: "not_found", hint: /Update API Contract URL template/ },
    { status: 405, body: "", code: "method_not_allowed", hint: "Verify method in Update API Contract" },
    { status: 415, body: "", code: "unsupported_media_type", hint: "Confirm contract formatter (JSON/XML) for the update endpoint" },
    { status: 409, body: "conflict", code: "unexpected_status", hint: /success statuses/ },
  ] as const;

  it.each(cases)("an update answered $status becomes $code with its hint", async ({ status, body, code, hint }) => {
    const server = await serve(() => ({ status, body }));
    const { client } = makeClient();

    const error = await engineError(client.request({ method: "PUT", url: `${server.url}/devices/A1?token=secret`, body: "{}", phase: "update" }));

    expect(error).toMatchObject({ code, http_status: status, retryable: false });
    if (typeof hint === "string") expect(error.hint).toBe(hint);
    else expect(error.hint).toMatch(hint);
    expect(error.message).toContain(`/devices/A1 returned ${status}`);
    expect(error.message).not.toContain("secret");
    expect(error.toJSON()).toEqual({ code, http_status: status, message: error.message, hint: error.hint });
  });

  it("points a 405 on the fetch side at the fetch contract, not the update method", async () => {
    const server = await serve(() => ({ status: 405 }));
    const { client } = makeClient();

    const error = await engineError(client.request({ method: "GET", url: `${server.url}/devices/A1`, phase: "lookup" }));

    expect(error.hint).toBe("Verify the fetch contract endpoint accepts GET");
  });
});

describe("cancellation", () => {
  it("aborts an in-flight request promptly", async () => {
    const server = await serve(() => ({ delayMs: 2000, body: "{}" }));
    const { client } = makeClient();
    const controller = new AbortController();
    const started = performance.now();

    const pending = client.request({ method: "GET", url: `${server.url}/slow`, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await engineError(pending);

    expect(error).toMatchObject({ code: "canceled", retryable: false });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("aborts a Retry-After wait promptly", async () => {
    const server = await serve(() => ({ status: 429, headers: { "retry-after": "5" } }));
    const { client } = makeClient();
    const controller = new AbortController();
    const started = performance.now();

    const pending = client.request({ method: "GET", url: `${server.url}/devices`, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await engineError(pending);

    expect(error.code).toBe("canceled");
    expect(server.requests).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(600);
  });

  it("releases queued requests when canceled while waiting for a connection slot", async () => {
    const server = await serve(() => ({ delayMs: 1000, body: "{}" }));
    const { client } = makeClient({ limits: { concurrency: 1 } });
    const controller = new AbortController();

    const requests = [1, 2, 3].map((i) => engineError(client.request({ method: "GET", url: `${server.url}/devices/${i}`, signal: controller.signal })));
    setTimeout(() => controller.abort(), 50);
    const errors = await Promise.all(requests);

    expect(errors.map((error) => error.code)).toEqual(["canceled", "canceled", "canceled"]);
    expect(server.requests).toHaveLength(1);
  });
});

describe("each attempt, as the request log gets it", () => {
  const attempts = (events: ReturnType<typeof makeClient>["events"]) => events.flatMap((event) => (event.type === "request" ? [event.entry] : []));

  it("reports every attempt with its status, serials, the retry's reason and only the telling response headers", async () => {
    const server = await serve((): LoopbackReply =>
      server.requests.length === 1
        ? { status: 503, body: "busy", headers: { "retry-after": "0", "set-cookie": "session=abc", "x-request-id": "req-1" } }
        : { body: { ok: true }, headers: { "x-request-id": "req-2", "x-powered-by": "demo" } },
    );
    const credential = createCredentialHeaders({ scheme: "api_key", header_name: "X-Api-Key", key: "key-123456" }, { runtime: createSystemRuntime() });
    const { client, events } = makeClient(credentialClientAuth(() => credential));

    await client.request({
      method: "PATCH",
      url: `${server.url}/devices/A1`,
      body: '{"name":"x"}',
      headers: { cookie: "c=1", accept: "application/json" },
      phase: "update",
      serials: ["A1"],
    });

    const [first, second] = attempts(events);
    expect(first).toMatchObject({
      phase: "update",
      method: "PATCH",
      serials: ["A1"],
      attempt: 1,
      retry_reason: null,
      status: 503,
      error: null,
      response_body: "busy",
    });
    expect(first!.request_headers).toMatchObject({ "x-api-key": "[redacted]", cookie: "[redacted]", accept: "application/json" });
    expect(first!.request_body).toBe('{"name":"x"}');
    expect(first!.response_headers).toEqual({ "retry-after": "0", "x-request-id": "req-1" });
    expect(second).toMatchObject({ attempt: 2, retry_reason: "server_error", status: 200, response_headers: { "x-request-id": "req-2" } });
    expect(second!.response_headers).not.toHaveProperty("x-powered-by");
    expect(attempts(events)).toHaveLength(2);
  });

  it("reports a timed-out attempt without a status, and the next one as retried after a timeout", async () => {
    const server = await serve(() => (server.requests.length === 1 ? { delayMs: 1000, body: "late" } : { body: "{}" }));
    const { client, events } = makeClient({ limits: { timeout_ms: 50, retry_attempts: 1 } });

    await client.request({ method: "GET", url: `${server.url}/devices/B2`, phase: "lookup", serials: ["B2"] });

    expect(attempts(events)).toMatchObject([
      { attempt: 1, status: null, error: "timed out after 50 ms", response_body: null, retry_reason: null },
      { attempt: 2, status: 200, error: null, retry_reason: "timeout" },
    ]);
  });

  it("names a 429 and a rejected OAuth2 token as the reasons of the attempts after them", async () => {
    const tokens = await serve(() => ({ body: { access_token: `access-${tokens.requests.length}`, expires_in: 3600 } }));
    const destination = await serve((request) =>
      destination.requests.length === 1
        ? { status: 429, headers: { "retry-after": "0" } }
        : request.headers.authorization === "Bearer access-1"
          ? { status: 401 }
          : { body: "{}" },
    );
    const credential = createCredentialHeaders(
      { scheme: "oauth2_client_credentials", token_url: `${tokens.url}/token`, client_id: "c", client_secret: "client-secret", client_auth: "body" },
      { runtime: createSystemRuntime() },
    );
    const { client, events } = makeClient(credentialClientAuth(() => credential));

    await client.request({ method: "GET", url: `${destination.url}/devices/C3`, phase: "lookup" });

    expect(attempts(events).map((a) => [a.attempt, a.status, a.retry_reason, a.request_headers.authorization])).toEqual([
      [1, 429, null, "[redacted]"],
      [2, 401, "rate_limited", "[redacted]"],
      [3, 200, "auth_refresh", "[redacted]"],
    ]);
  });
});
