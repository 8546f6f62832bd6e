import { afterEach, describe, expect, it } from "vitest";
import { RESPONSE_EXCERPT_BYTES, sendHttp } from "../../../worker/alerts/send-http";
import { verdictFor } from "../../../worker/alerts/retry-schedule";
import { startWebhookReceiver, type ReceiverScript, type WebhookReceiver } from "./webhook-receiver.node";
import { leaksIn } from "../../engine/support/secret-forms";

let receiver: WebhookReceiver | null = null;
afterEach(async () => {
  await receiver?.stop();
  receiver = null;
});

async function postTo(script: ReceiverScript, options: { timeoutMs?: number; redact?: string[]; body?: string; path?: string } = {}) {
  receiver = await startWebhookReceiver(script);
  const url = options.path ? receiver.url.replace("/hooks/outbound-sync", options.path) : receiver.url;
  return sendHttp({ url, headers: { "content-type": "application/json" }, body: options.body ?? "{}" }, { fetch, ...options });
}

describe("an attempt's record", () => {
  it("keeps the status, a duration and the response body", async () => {
    const result = await postTo(() => ({ status: 202, body: '{"status":"success"}' }));
    expect(result).toMatchObject({ statusCode: 202, responseExcerpt: '{"status":"success"}', error: null });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(verdictFor(result)).toBe("succeeded");
  });

  it("keeps at most 1 KB of a large response, without splitting a character", async () => {
    const result = await postTo(() => ({ status: 500, body: "é".repeat(5_000) }));
    const bytes = new TextEncoder().encode(result.responseExcerpt ?? "").byteLength;
    expect(bytes).toBeLessThanOrEqual(RESPONSE_EXCERPT_BYTES);
    expect(bytes).toBeGreaterThan(RESPONSE_EXCERPT_BYTES - 4);
    expect(result.responseExcerpt).not.toContain("\uFFFD");
    expect(verdictFor(result)).toBe("retry");
  });

  it("does not follow a redirect: the target never sees the payload and the attempt failed", async () => {
    const result = await postTo((req) => (req.path === "/moved" ? { status: 200 } : { status: 307, headers: { location: "/moved" } }));
    expect(result.statusCode).toBe(307);
    expect(result.error).toBe("Redirect to /moved not followed; configure the final URL.");
    expect(receiver!.requests.map((r) => r.path)).toEqual(["/hooks/outbound-sync"]);
    expect(verdictFor(result)).toBe("retry");
  });

  it("treats 410 Gone as the receiver asking never to be called again", async () => {
    const result = await postTo(() => ({ status: 410, body: "gone" }));
    expect(verdictFor(result)).toBe("gone");
  });

  it("gives up on a receiver that does not answer within the timeout", async () => {
    receiver = await startWebhookReceiver(() => ({ status: 200 }));
    // A bare port with nothing reading: the connection opens but no response comes.
    const { createServer } = await import("node:net");
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const result = await sendHttp({ url: `http://127.0.0.1:${port}/hook`, headers: {}, body: "{}" }, { fetch, timeoutMs: 200 });
      expect(result).toMatchObject({ statusCode: null, error: "No response within 200 ms." });
      expect(verdictFor(result)).toBe("retry");
    } finally {
      silent.close();
    }
  });

  it("redacts secrets a receiver echoes back, in the excerpt and in errors", async () => {
    const key = "R0UTINGKEY0123456789abcdef";
    const result = await postTo((req) => ({ status: 400, body: `bad request: ${req.body}` }), { body: JSON.stringify({ routing_key: key }), redact: [key] });
    expect(result.responseExcerpt).toContain("[redacted]");
    expect(result.responseExcerpt).not.toContain(key);
  });

  it("redacts a secret a receiver echoes base64- or URL-encoded", async () => {
    const key = "R0UTING/KEY+0123456789=abc";
    const result = await postTo(() => ({ status: 400, body: `seen ${btoa(key)} and ${encodeURIComponent(key)}` }), { redact: [key] });
    expect(result.responseExcerpt).toBe("seen [redacted] and [redacted]");
    expect(leaksIn(result.responseExcerpt ?? "", { key })).toEqual([]);
  });

  it("honours Retry-After", async () => {
    const result = await postTo(() => ({ status: 429, headers: { "retry-after": "30" } }));
    expect(result.retryAfterMs).toBe(30_000);
  });

  // The engine's rule (test/engine/retry-after-is-delta-seconds-or-an-http-date.test.ts); alerts used to read "1.5" as a date in 2001.
  it("ignores a Retry-After that is neither delay-seconds nor an HTTP date", async () => {
    const result = await postTo(() => ({ status: 429, headers: { "retry-after": "1.5" } }));
    expect(result.retryAfterMs).toBeNull();
  });

  it("waits at most a day whatever Retry-After asks", async () => {
    const result = await postTo(() => ({ status: 503, headers: { "retry-after": "9999999" } }));
    expect(result.retryAfterMs).toBe(24 * 60 * 60 * 1000);
  });
});
