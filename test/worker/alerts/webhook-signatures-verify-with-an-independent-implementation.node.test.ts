/// <reference types="node" />
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { renderMessage } from "../../../worker/alerts/render";
import { sendHttp } from "../../../worker/alerts/send-http";
import { generateWebhookSecret } from "../../../worker/alerts/signing";
import { makePayload } from "../factories/alert-payloads";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.node";

// The Standard Webhooks check as a receiver would write it with node:crypto, sharing no code with
// the worker: key = base64 after "whsec_", HMAC-SHA256 over "id.timestamp.body", any "v1," entry matches.
function verifyStandardWebhook(secret: string, headers: IncomingHttpHeaders, body: string, nowSeconds: number): boolean {
  const id = String(headers["webhook-id"] ?? "");
  const timestamp = String(headers["webhook-timestamp"] ?? "");
  const signatures = String(headers["webhook-signature"] ?? "");
  if (!id || !/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    if (version !== "v1" || signature === undefined) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

let receiver: WebhookReceiver | null = null;
afterEach(async () => {
  await receiver?.stop();
  receiver = null;
});

async function deliverTo(url: string, secrets: string[], webhookId = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W") {
  const message = await renderMessage(
    { kind: "webhook", url, secrets },
    { webhookId, payloadJson: JSON.stringify(makePayload()), now: Date.now(), publicUrl: "https://sync.example.com" },
  );
  if (message.transport !== "http") throw new Error("a webhook is sent over HTTP");
  return sendHttp(message.request, { fetch });
}

describe("Standard Webhooks signing", () => {
  it("signs each POST so a receiver's own implementation verifies it, and a changed body fails", async () => {
    receiver = await startWebhookReceiver();
    const secret = generateWebhookSecret();
    const result = await deliverTo(receiver.url, [secret]);
    expect(result.statusCode).toBe(200);

    const [received] = receiver.requests;
    expect(received).toBeDefined();
    const now = Math.floor(Date.now() / 1000);
    expect(received!.headers["content-type"]).toBe("application/json");
    expect(received!.headers["webhook-id"]).toBe("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
    expect(received!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(verifyStandardWebhook(secret, received!.headers, received!.body, now)).toBe(true);
    expect(verifyStandardWebhook(secret, received!.headers, received!.body.replace("failed", "completed"), now)).toBe(false);
    expect(verifyStandardWebhook(generateWebhookSecret(), received!.headers, received!.body, now)).toBe(false);
  });

  // What receivers actually install: the Standard Webhooks reference library, verifying as it is documented to be called.
  it("verifies with the Standard Webhooks reference library, which refuses a changed body or another secret", async () => {
    receiver = await startWebhookReceiver();
    const secret = generateWebhookSecret();
    await deliverTo(receiver.url, [secret, generateWebhookSecret()]);
    const [received] = receiver.requests;
    const headers = {
      "webhook-id": String(received!.headers["webhook-id"]),
      "webhook-timestamp": String(received!.headers["webhook-timestamp"]),
      "webhook-signature": String(received!.headers["webhook-signature"]),
    };

    expect(new Webhook(secret).verify(received!.body, headers)).toEqual(JSON.parse(received!.body));
    expect(() => new Webhook(secret).verify(received!.body.replace("failed", "completed"), headers)).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(received!.body, headers)).toThrow();
  });

  it("generates whsec_ secrets of 32 random bytes", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it("sends two signatures during a rotation, so receivers holding either secret verify", async () => {
    receiver = await startWebhookReceiver();
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    await deliverTo(receiver.url, [newSecret, oldSecret]);
    const [received] = receiver.requests;
    const now = Math.floor(Date.now() / 1000);
    expect(String(received!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verifyStandardWebhook(newSecret, received!.headers, received!.body, now)).toBe(true);
    expect(verifyStandardWebhook(oldSecret, received!.headers, received!.body, now)).toBe(true);
  });

  it("never puts the secret in the body or the headers", async () => {
    receiver = await startWebhookReceiver();
    const secret = generateWebhookSecret();
    await deliverTo(receiver.url, [secret]);
    const [received] = receiver.requests;
    const key = secret.slice(6);
    expect(received!.body).not.toContain(key);
    expect(JSON.stringify(received!.headers)).not.toContain(key);
  });
});
