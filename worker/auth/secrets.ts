import { ConflictError, UnavailableError } from "../domain-errors";
import type { Env } from "../env";

export type SecretsEnv = Pick<Env, "SECRETS_KEY">;

const SET_KEY_HINT =
  "Set the Worker secret SECRETS_KEY to base64 of 32 random bytes: `openssl rand -base64 32 | npx wrangler secret put SECRETS_KEY` " +
  "(npm start writes one into .dev.vars for local development).";

export const SECRETS_CONFIG_CODES = ["secrets_key_missing", "secrets_key_invalid", "secrets_key_mismatch"] as const;
export type SecretsConfigCode = (typeof SECRETS_CONFIG_CODES)[number];

/**
 * The deployment cannot handle secrets until an operator fixes its configuration. The HTTP edge answers it like
 * any unavailable dependency (503) with the code and the hint; the message never holds a secret.
 */
export class SecretsConfigError extends UnavailableError {
  constructor(
    code: SecretsConfigCode,
    message: string,
    override readonly hint: string,
  ) {
    super(code, message, { hint });
    this.name = "SecretsConfigError";
  }
}

/**
 * A stored secret cannot be opened although the key is right: it was sealed for another row or field
 * (copied in D1) or altered. A conflict, as only entering the secret again fixes it; the message names the
 * binding, never the secret.
 */
export class StoredSecretError extends ConflictError {
  constructor(
    readonly binding: string,
    override readonly hint: string = "Enter the secret again; a ciphertext copied from another row or field cannot be used.",
  ) {
    super("stored_secret_unreadable", `The stored secret for ${binding} cannot be decrypted: it was sealed for another row or field, or altered.`, {
      hint,
      meta: { binding },
    });
    this.name = "StoredSecretError";
  }
}

// Associated data: each ciphertext opens only for the row and field it was sealed for.
export function secretBinding(owner: "credential" | "alert_channel" | "setting" | "oauth_connect_state", id: string, field: string): string {
  return `${owner}:${id}:${field}`;
}

export const SECRET_BINDINGS = {
  credential: (id: string) => secretBinding("credential", id, "secret"),
  credentialRefreshToken: (id: string) => secretBinding("credential", id, "refresh_token"),
  // A Connect's PKCE verifier, bound to the state that names it.
  connectVerifier: (stateHash: string) => secretBinding("oauth_connect_state", stateHash, "code_verifier"),
  alertChannel: (id: string) => secretBinding("alert_channel", id, "secret"),
  alertChannelPrevious: (id: string) => secretBinding("alert_channel", id, "previous_secret"),
  logExport: () => secretBinding("setting", "config.log_export", "secret_access_key"),
  // Header names are case-insensitive: the binding uses the lower-case one.
  telemetryHeader: (name: string) => secretBinding("setting", "config.telemetry", name.toLowerCase()),
  heartbeatUrl: () => secretBinding("setting", "heartbeat.url", "url"),
} as const;

// v2: `v2:<key id>:<iv>:<ciphertext+tag>` sealed with the binding as associated data. v1 (`v1:<iv>:<ct>`, no
// associated data) is still read; reseal-legacy-secrets.ts rewrites v1 rows as v2.
const LEGACY_VERSION = "v1";
const FORMAT_VERSION = "v2";
const IV_BYTES = 12;
let keyCache: { raw: string; key: CryptoKey; keyId: string } | null = null;

async function secretsKey(env: SecretsEnv): Promise<{ key: CryptoKey; keyId: string }> {
  const raw = env.SECRETS_KEY?.trim();
  if (!raw) {
    throw new SecretsConfigError("secrets_key_missing", "Secrets cannot be stored or used: SECRETS_KEY is not set.", SET_KEY_HINT);
  }
  if (keyCache?.raw === raw) return keyCache;
  const bytes = decodeBase64(raw);
  if (bytes?.length !== 32) {
    throw new SecretsConfigError("secrets_key_invalid", "SECRETS_KEY is not base64 of exactly 32 bytes.", SET_KEY_HINT);
  }
  const key = await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
  // A short public fingerprint of the key tells "the key changed" apart from "sealed for another row".
  const tagged = new Uint8Array([...new TextEncoder().encode("outbound-sync secrets key id\0"), ...bytes]);
  const keyId = encodeBase64(new Uint8Array(await crypto.subtle.digest("SHA-256", tagged)).slice(0, 6));
  keyCache = { raw, key, keyId };
  return keyCache;
}

/** `v2:<key id>:<iv>:<ciphertext+tag>`, a fresh random IV each time, bound to `binding` (SECRET_BINDINGS). */
export async function encryptSecret(env: SecretsEnv, plaintext: string, binding: string): Promise<string> {
  const { key, keyId } = await secretsKey(env);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(binding) },
    key,
    new TextEncoder().encode(plaintext),
  );
  return `${FORMAT_VERSION}:${keyId}:${encodeBase64(iv)}:${encodeBase64(new Uint8Array(sealed))}`;
}

/** True for a secret stored before binding (v1): readable, but to be resealed. */
export function isLegacySecret(stored: string): boolean {
  return stored.startsWith(`${LEGACY_VERSION}:`);
}

export async function decryptSecret(env: SecretsEnv, stored: string, binding: string): Promise<string> {
  const { key, keyId } = await secretsKey(env);
  const parts = stored.split(":");
  const legacy = parts[0] === LEGACY_VERSION && parts.length === 3;
  if (!legacy && !(parts[0] === FORMAT_VERSION && parts.length === 4)) {
    throw new Error(`Stored secret is not in the ${FORMAT_VERSION}:<key id>:<iv>:<ciphertext> format.`);
  }
  const [ivText, sealedText] = legacy ? [parts[1]!, parts[2]!] : [parts[2]!, parts[3]!];
  const iv = decodeBase64(ivText);
  const sealed = decodeBase64(sealedText);
  if (iv?.length !== IV_BYTES || !sealed) throw new Error(`Stored secret is not in the ${FORMAT_VERSION}:<key id>:<iv>:<ciphertext> format.`);
  // v1 has no key id: a failure there is far likelier a changed key than tampering with D1.
  if (!legacy && parts[1] !== keyId) throw keyMismatch();
  let opened: ArrayBuffer;
  try {
    opened = await crypto.subtle.decrypt(
      legacy ? { name: "AES-GCM", iv } : { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(binding) },
      key,
      sealed,
    );
  } catch {
    // GCM's tag check is the only signal; with the right key it means another binding or an altered value.
    throw legacy ? keyMismatch() : new StoredSecretError(binding);
  }
  return new TextDecoder().decode(opened);
}

function keyMismatch(): SecretsConfigError {
  return new SecretsConfigError(
    "secrets_key_mismatch",
    "A stored secret cannot be decrypted with the current SECRETS_KEY.",
    "SECRETS_KEY changed since the secret was saved: restore the previous key, or enter the secret again.",
  );
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
