import { base64ToBytes, bytesToBase64 } from "./base64";

// Standard Webhooks (https://www.standardwebhooks.com): the secret is "whsec_" + base64 of the key bytes,
// the signature "v1," + base64 HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.<body>".
export const WEBHOOK_SECRET_PREFIX = "whsec_";
const SECRET_BYTES = 32;

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + bytesToBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
}

export function webhookSecretKey(secret: string): Uint8Array<ArrayBuffer> {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  const key = base64ToBytes(encoded);
  if (key === null || key.length === 0) throw new Error("A webhook signing secret must be whsec_ followed by base64.");
  return key;
}

export async function signWebhook(secret: string, webhookId: string, timestampSeconds: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", webhookSecretKey(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${webhookId}.${timestampSeconds}.${body}`));
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

export interface WebhookSignatureInput {
  webhookId: string;
  timestampSeconds: number;
  body: string;
  // The current secret first; during a rotation also the previous one, so receivers on either verify.
  secrets: readonly string[];
}

export async function webhookHeaders(input: WebhookSignatureInput): Promise<Record<string, string>> {
  const signatures = await Promise.all(input.secrets.map((secret) => signWebhook(secret, input.webhookId, input.timestampSeconds, input.body)));
  return {
    "webhook-id": input.webhookId,
    "webhook-timestamp": String(input.timestampSeconds),
    "webhook-signature": signatures.join(" "),
  };
}
