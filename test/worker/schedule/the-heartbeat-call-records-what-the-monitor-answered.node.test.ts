/// <reference types="node" />
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { callHeartbeat } from "../../../worker/schedule/heartbeat-call";
import { startWebhookReceiver, type WebhookReceiver } from "../alerts/webhook-receiver.node";

// The heartbeat GET against real loopback servers: what a monitor answering 2xx, an error, a redirect, nothing
// at all, or a closed port leaves recorded.

let receiver: WebhookReceiver | null = null;
let silent: Server | null = null;

afterEach(async () => {
  await receiver?.stop();
  receiver = null;
  if (silent !== null) {
    const server = silent;
    silent = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe("the heartbeat call", () => {
  it("sends one GET and records a 2xx as ok", async () => {
    receiver = await startWebhookReceiver(() => ({ status: 200, body: "OK" }));
    const call = await callHeartbeat(receiver.url, { fetch });
    expect(call).toMatchObject({ ok: true, status: 200, error: null });
    expect(receiver.requests.map((r) => [r.method, r.path, r.body])).toEqual([["GET", "/hooks/outbound-sync", ""]]);
  });

  it("records an error status and a redirect it does not follow as failed calls", async () => {
    receiver = await startWebhookReceiver((_, index) => (index === 0 ? { status: 503 } : { status: 302, headers: { location: "https://elsewhere.example/" } }));
    expect(await callHeartbeat(receiver.url, { fetch })).toMatchObject({ ok: false, status: 503, error: "The monitor answered HTTP 503." });
    expect(await callHeartbeat(receiver.url, { fetch })).toMatchObject({
      ok: false,
      status: 302,
      error: "Redirect not followed; configure the final URL.",
    });
    expect(receiver.requests).toHaveLength(2);
  });

  it("gives up on a monitor that never answers after its timeout", async () => {
    // Accepts the request and never responds.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent!.listen(0, "127.0.0.1", () => resolve()));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/ping`;
    expect(await callHeartbeat(url, { fetch, timeoutMs: 200 })).toEqual({
      at: expect.any(Number),
      ok: false,
      status: null,
      error: "No response within 200 ms.",
    });
  });

  it("records a closed port as a network error", async () => {
    receiver = await startWebhookReceiver();
    const url = receiver.url;
    await receiver.stop();
    const call = await callHeartbeat(url, { fetch });
    expect(call.ok).toBe(false);
    expect(call.status).toBeNull();
    expect(call.error).toMatch(/^Network error: /);
  });
});
