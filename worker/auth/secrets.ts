import { ApiError } from "../api/errors";
import type { Env } from "../env";

export type SecretsEnv = Pick<Env, "SECRETS_KEY">;

const SET_KEY_HINT =
  "Set the Worker secret SECRETS_KEY to base64 of 32 random bytes: `openssl rand -base64 32 | npx wrangler secret put SECRETS_KEY` " +
  "(npm start writes one into .dev.vars for local development).";

export const SECRETS_CONFIG_CODES = ["secrets_key_missing", "secrets_key_invalid", "secrets_key_mismatch"] as const;
export type SecretsConfigCode = (typeof SECRETS_CONFIG_CODES)[number];

/**
 * The deployment cannot handle secrets until an operator fixes its configuration. It is an ApiError, so the
 * app's one error handler already answers 503 with the code and the hint; the message never holds a secret.
 */
export class SecretsConfigError extends ApiError {
  constructor(
    code: SecretsConfigCode,
    message: string,
    readonly hint: string,
  ) {
    super(503, code, message, { hint });
    this.name = "SecretsConfigError";
  }
}

const FORMAT_VERSION = "v1";
const IV_BYTES = 12;
let keyCache: { raw: string; key: CryptoKey } | null = null;

async function secretsKey(env: SecretsEnv): Promise<CryptoKey> {
  const raw = env.SECRETS_KEY?.trim();
  if (!raw) {
    throw new SecretsConfigError("secrets_key_missing", "Secrets cannot be stored or used: SECRETS_KEY is not set.", SET_KEY_HINT);
  }
  if (keyCache?.raw === raw) return keyCache.key;
  const bytes = decodeBase64(raw);
  if (bytes?.length !== 32) {
    throw new SecretsConfigError("secrets_key_invalid", "SECRETS_KEY is not base64 of exactly 32 bytes.", SET_KEY_HINT);
  }
  const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  keyCache = { raw, key };
  return key;
}

/** `v1:<iv base64>:<ciphertext+tag base64>`, a fresh random IV each time. */
export async function encryptSecret(env: SecretsEnv, plaintext: string): Promise<string> {
  const key = await secretsKey(env);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext));
  return `${FORMAT_VERSION}:${encodeBase64(iv)}:${encodeBase64(new Uint8Array(sealed))}`;
}

export async function decryptSecret(env: SecretsEnv, stored: string): Promise<string> {
  const key = await secretsKey(env);
  const [version, ivText, sealedText, ...rest] = stored.split(":");
  const iv = ivText === undefined ? null : decodeBase64(ivText);
  const sealed = sealedText === undefined ? null : decodeBase64(sealedText);
  if (version !== FORMAT_VERSION || rest.length > 0 || iv?.length !== IV_BYTES || !sealed) {
    throw new Error(`Stored secret is not in the ${FORMAT_VERSION}:<iv>:<ciphertext> format.`);
  }
  let opened: ArrayBuffer;
  try {
    opened = await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, sealed);
  } catch {
    // GCM's tag check is the only signal; a changed key is far likelier than tampering with D1.
    throw new SecretsConfigError(
      "secrets_key_mismatch",
      "A stored secret cannot be decrypted with the current SECRETS_KEY.",
      "SECRETS_KEY changed since the secret was saved: restore the previous key, or enter the secret again.",
    );
  }
  return new TextDecoder().decode(opened);
}

/** "••••" and at most the last 4 characters; short secrets show fewer (none under 4 characters). */
export function secretHint(plaintext: string): string {
  const chars = Array.from(plaintext);
  const shown = Math.min(4, Math.floor(chars.length / 4));
  return "••••" + (shown > 0 ? chars.slice(-shown).join("") : "");
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}
