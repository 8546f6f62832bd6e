import { env } from "cloudflare:test";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { handleError, toApiError } from "../../../worker/api/errors";
import { decryptSecret, encryptSecret, SECRET_BINDINGS, SecretsConfigError, secretHint, StoredSecretError } from "../../../worker/auth/secrets";
import { DomainError } from "../../../worker/domain-errors";
import { insertCredential } from "../../../worker/ledger/credentials";
import { makeSecretsKey } from "../factories";

const keyed = () => ({ SECRETS_KEY: makeSecretsKey() });
const BOUND = SECRET_BINDINGS.credential("cred_test");

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (err: unknown) => err,
  );
}

// The error as the HTTP edge answers it: domain errors carry no status of their own.
const answered = (err: unknown) => toApiError(err as DomainError);

describe("secret encryption", () => {
  it("round-trips a secret through the v2 format with a fresh IV each time", async () => {
    const keys = keyed();
    const plaintext = "s3cr3t-api-key-3f9a ✓";
    const first = await encryptSecret(keys, plaintext, BOUND);
    const second = await encryptSecret(keys, plaintext, BOUND);
    expect(first).toMatch(/^v2:[A-Za-z0-9+/]{8}:[A-Za-z0-9+/]{16}:[A-Za-z0-9+/=]+$/);
    expect(first).not.toBe(second);
    expect(await decryptSecret(keys, first, BOUND)).toBe(plaintext);
    expect(await decryptSecret(keys, second, BOUND)).toBe(plaintext);
  });

  it("leaves no plaintext in the stored credential row", async () => {
    const keys = keyed();
    const plaintext = "sk_live_51HxYzQ2eZvKYlo2C0123456789abcdef";
    const id = `cred_${crypto.randomUUID()}`;
    const secret = { ciphertext: await encryptSecret(keys, plaintext, SECRET_BINDINGS.credential(id)), hint: secretHint(plaintext) };
    await insertCredential(env.LEDGER, id, { name: id, scheme: "bearer", config: {}, secret }, 0);

    const row = await env.LEDGER.prepare("SELECT * FROM credentials WHERE id = ?").bind(id).first<Record<string, unknown>>();
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(plaintext);
    expect(stored).not.toContain(plaintext.slice(0, 12));
    expect(row?.secret_hint).toBe("••••cdef");
    expect(await decryptSecret(keys, String(row?.secret_ciphertext), SECRET_BINDINGS.credential(id))).toBe(plaintext);
  });

  it("says the key changed, without the secret, when another key cannot decrypt", async () => {
    const sealed = await encryptSecret(keyed(), "hunter2-password", BOUND);
    const err = await thrown(decryptSecret(keyed(), sealed, BOUND));
    expect(err).toBeInstanceOf(SecretsConfigError);
    expect(answered(err)).toMatchObject({ status: 503, code: "secrets_key_mismatch" });
    expect(JSON.stringify(err) + String(err)).not.toContain("hunter2");
  });

  it("refuses a ciphertext that was altered", async () => {
    const keys = keyed();
    const [version, keyId, iv, sealed] = (await encryptSecret(keys, "unchanged", BOUND)).split(":") as [string, string, string, string];
    const flipped = (sealed[0] === "A" ? "B" : "A") + sealed.slice(1);
    // The key is right (its id matches), so this is tampering, not a changed key.
    const err = await thrown(decryptSecret(keys, `${version}:${keyId}:${iv}:${flipped}`, BOUND));
    expect(err).toBeInstanceOf(StoredSecretError);
    expect(answered(err)).toMatchObject({ status: 409, code: "stored_secret_unreadable" });
    expect(await thrown(decryptSecret(keys, "plain text", BOUND))).toBeInstanceOf(Error);
  });

  it.each([
    { SECRETS_KEY: undefined, code: "secrets_key_missing" },
    { SECRETS_KEY: "  ", code: "secrets_key_missing" },
    { SECRETS_KEY: "c2hvcnQ=", code: "secrets_key_invalid" },
    { SECRETS_KEY: "not base64 at all!", code: "secrets_key_invalid" },
  ])("names the configuration problem when SECRETS_KEY is $SECRETS_KEY", async ({ SECRETS_KEY, code }) => {
    const err = await thrown(encryptSecret({ SECRETS_KEY }, "x", BOUND));
    expect(err).toBeInstanceOf(SecretsConfigError);
    expect(answered(err)).toMatchObject({ status: 503, code, hint: expect.stringContaining("wrangler secret put SECRETS_KEY") });
  });

  it("reaches the caller as 503 with the code and a hint through the app's error handler", async () => {
    const app = new Hono();
    app.onError(handleError);
    app.post("/credentials", async (c) => c.json({ stored: await encryptSecret({}, "secret", BOUND) }));
    const res = await app.request("/credentials", { method: "POST" });
    expect(res.status).toBe(503);
    const body = await res.json<{ error: { code: string; hint: string } }>();
    expect(body.error.code).toBe("secrets_key_missing");
    expect(body.error.hint).toContain("SECRETS_KEY");
  });
});

describe("secret hints", () => {
  it.each([
    { secret: "sk_live_abcdef123f9a", hint: "••••3f9a" },
    { secret: "12345678", hint: "••••78" },
    { secret: "abcd", hint: "••••d" },
    { secret: "abc", hint: "••••" },
    { secret: "", hint: "••••" },
    { secret: "pässwörd-😀😀😀😀", hint: "••••😀😀😀" },
  ])("masks $secret as $hint", ({ secret, hint }) => {
    expect(secretHint(secret)).toBe(hint);
  });
});
