import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { resolveChannel, type StoredChannel } from "../../../worker/alerts/resolve-channel";
import { decryptSecret, encryptSecret, SECRET_BINDINGS, StoredSecretError } from "../../../worker/auth/secrets";
import { resealLegacySecrets } from "../../../worker/auth/reseal-legacy-secrets";
import { EngineError } from "../../../worker/engine/errors";
import { CONFIG_SETTING_KEYS, readConfigSettings } from "../../../worker/ledger/config-settings";
import { insertCredential as storeCredential, updateCredential, type CredentialWrite } from "../../../worker/ledger/credentials";
import { newId } from "../../../worker/ledger/ids";
import { loadCredentialAuth } from "../../../worker/runs/credential-loader";
import { call, unique } from "../api/config-api";
import { demoConfig, driveRun, makeCredentialWith, makeSecretsKey, resetWorld, startRun } from "../factories";

const SLOW = { timeout: 60_000 };

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (err: unknown) => err,
  );
}

// The format every secret had before binding: `v1:<iv>:<ciphertext>`, AES-GCM without associated data.
async function sealV1(secretsKey: string, plaintext: string): Promise<string> {
  const raw = Uint8Array.from(atob(secretsKey), (ch) => ch.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt"]);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, new TextEncoder().encode(plaintext)));
  const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
  return `v1:${b64(iv)}:${b64(sealed)}`;
}

async function insertCredential(scheme: string, ciphertext: string | null, config: Record<string, unknown> = {}): Promise<string> {
  const id = newId("cred");
  // The ledger stores whatever ciphertext it is given: a foreign, copied or v1-sealed one here.
  const write = {
    name: id,
    scheme: scheme as CredentialWrite["scheme"],
    config: config as CredentialWrite["config"],
    secret: ciphertext === null ? null : { ciphertext, hint: "••••" },
  };
  const outcome = await storeCredential(env.LEDGER, id, write, 0);
  if (outcome.status !== "ok") throw new Error(`insertCredential: ${outcome.status}`);
  return id;
}

async function insertChannel(secret: string | null, previous: string | null): Promise<string> {
  const id = newId("chan");
  // Written directly: v1-sealed current and previous secrets are what only an older release wrote.
  await env.LEDGER.prepare(
    `INSERT INTO alert_channels (id, name, kind, config_json, secret_ciphertext, secret_hint, previous_secret_ciphertext,
                                 previous_secret_expires_at, enabled, created_at, updated_at)
     VALUES (?1, ?1, 'webhook', ?2, ?3, '••••', ?4, ?5, 1, 0, 0)`,
  )
    .bind(
      id,
      JSON.stringify({ url: "http://localhost:8787/sandbox/_receiver/x", event_types: null, connection_ids: null }),
      secret,
      previous,
      Date.now() + 3_600_000,
    )
    .run();
  return id;
}

const ciphertextOf = async (table: string, column: string, id: string) =>
  (await env.LEDGER.prepare(`SELECT ${column} AS c FROM ${table} WHERE id = ?1`).bind(id).first<{ c: string }>())!.c;

describe("sealed secrets carry their row and field as associated data", () => {
  it("decrypt only for the binding they were sealed for", async () => {
    const keys = { SECRETS_KEY: makeSecretsKey() };
    const sealed = await encryptSecret(keys, "api-key-123", SECRET_BINDINGS.credential("cred_a"));
    expect(sealed).toMatch(/^v2:/);
    expect(await decryptSecret(keys, sealed, SECRET_BINDINGS.credential("cred_a"))).toBe("api-key-123");
    for (const other of [SECRET_BINDINGS.credential("cred_b"), SECRET_BINDINGS.alertChannel("cred_a"), SECRET_BINDINGS.logExport()]) {
      const err = await thrown(decryptSecret(keys, sealed, other));
      expect(err).toBeInstanceOf(StoredSecretError);
      expect(err).toMatchObject({ code: "stored_secret_unreadable" });
      expect(String((err as Error).message)).toContain(other);
      expect(JSON.stringify(err) + String(err)).not.toContain("api-key-123");
    }
  });

  it("a credential's ciphertext copied into another credential's row fails with a clear error, not a 500", async () => {
    const plaintext = "bearer-token-of-a";
    const a = await insertCredential("bearer", null);
    const secret = { ciphertext: await encryptSecret(env, plaintext, SECRET_BINDINGS.credential(a)), hint: "••••" };
    await updateCredential(env.LEDGER, a, { name: a, scheme: "bearer", config: {}, secret }, 0);
    expect(await loadCredentialAuth(env, a)).toEqual({ scheme: "bearer", token: plaintext });

    const b = await insertCredential("bearer", await ciphertextOf("credentials", "secret_ciphertext", a));
    const err = await thrown(loadCredentialAuth(env, b));
    expect(err).toBeInstanceOf(EngineError);
    expect(err).toMatchObject({ code: "auth_failed" });
    expect((err as Error).message).toContain("secret cannot be decrypted");
    expect((err as EngineError).hint).toContain("secret again");
  });

  it("an alert channel's secret copied into its previous-secret field or another channel fails", async () => {
    const id = newId("chan");
    const sealed = await encryptSecret(env, "whsec_abc", SECRET_BINDINGS.alertChannel(id));
    const stored = (secret: string, previous: string | null): StoredChannel => ({
      id,
      kind: "webhook",
      config_json: JSON.stringify({ url: "http://localhost:8787/sandbox/_receiver/x", event_types: null, connection_ids: null }),
      secret_ciphertext: secret,
      previous_secret_ciphertext: previous,
      previous_secret_expires_at: Date.now() + 60_000,
    });
    expect(await resolveChannel(env, stored(sealed, null), Date.now())).toMatchObject({ secrets: ["whsec_abc"] });
    expect(await thrown(resolveChannel(env, stored(sealed, sealed), Date.now()))).toBeInstanceOf(StoredSecretError);
    expect(await thrown(resolveChannel(env, { ...stored(sealed, null), id: newId("chan") }, Date.now()))).toBeInstanceOf(StoredSecretError);
  });
});

describe("rotating a webhook's signing secret", () => {
  it("seals the outgoing secret again for the previous-secret field, so both still sign during the grace period", async () => {
    const url = "http://localhost:8787/sandbox/_receiver/rotation";
    const created = await call<{ id: string; secret: string }>("POST", "/api/alerts/channels", { body: { kind: "webhook", name: unique("Hook"), url } });
    expect(created.status).toBe(201);
    const rotated = await call<{ secret: string }>("POST", `/api/alerts/channels/${created.body.id}/rotate-secret`, { body: { grace_hours: 1 } });
    expect(rotated.status).toBe(200);
    const row = await env.LEDGER.prepare(
      "SELECT id, kind, config_json, secret_ciphertext, previous_secret_ciphertext, previous_secret_expires_at FROM alert_channels WHERE id = ?1",
    )
      .bind(created.body.id)
      .first<StoredChannel>();
    expect(await resolveChannel(env, row!, Date.now())).toMatchObject({ secrets: [rotated.body.secret, created.body.secret] });
  });
});

describe("a run whose credential holds a copied ciphertext", () => {
  beforeEach(async () => {
    await resetWorld();
  });

  it("fails its job saying the secret cannot be decrypted", SLOW, async () => {
    const donor = await insertCredential("bearer", null);
    const { credentialId } = await makeCredentialWith([{ config: demoConfig(0) }], undefined, "token-of-the-run");
    // A ciphertext sealed for another row, as a copied database row would hold: no ledger write does this.
    await env.LEDGER.prepare("UPDATE credentials SET secret_ciphertext = ?2 WHERE id = ?1")
      .bind(credentialId, await encryptSecret(env, "donor-token", SECRET_BINDINGS.credential(donor)))
      .run();
    const run = await driveRun((await startRun({ credential_id: credentialId, type: "single", serial: "DEV-00001", mode: "dry" })).id);
    expect(run.status).toBe("failed");
    expect(run.jobs[0]!.error).toMatchObject({ code: "auth_failed", message: expect.stringContaining("secret cannot be decrypted") });
  });
});

describe("secrets stored in the old v1 format", () => {
  it("still decrypt, and the re-seal step rewrites every one as v2 in bounded batches without losing any", async () => {
    const key = env.SECRETS_KEY!;
    const credentials = await Promise.all(
      ["one", "two", "three"].map(async (p) => ({ id: await insertCredential("bearer", await sealV1(key, `cred-${p}`)), plaintext: `cred-${p}` })),
    );
    const channel = await insertChannel(await sealV1(key, "whsec_current"), await sealV1(key, "whsec_previous"));
    // A log export setting sealed in the old v1 format, which no current write produces.
    await env.LEDGER.prepare("INSERT OR REPLACE INTO settings (key, value_json, updated_at) VALUES (?1, ?2, 0)")
      .bind(
        CONFIG_SETTING_KEYS.logExport,
        JSON.stringify({
          target: "s3",
          endpoint: "https://s3.example.com",
          bucket: "b",
          region: "auto",
          prefix: "p/",
          access_key_id: "AKIA",
          secret_ciphertext: await sealV1(key, "s3-secret"),
          secret_hint: "••••cret",
        }),
      )
      .run();

    // Readable before the re-seal: nothing depends on it having run.
    expect(await loadCredentialAuth(env, credentials[0]!.id)).toEqual({ scheme: "bearer", token: "cred-one" });

    const first = await resealLegacySecrets(env, 2);
    expect(first.resealed).toBe(2);
    let total = first.resealed;
    for (let pass = 0; pass < 10; pass++) {
      const next = await resealLegacySecrets(env, 2);
      total += next.resealed;
      if (next.resealed === 0) break;
    }
    expect(total).toBeGreaterThanOrEqual(6);
    expect((await resealLegacySecrets(env, 2)).resealed).toBe(0);

    const leftovers = await env.LEDGER.prepare(
      `SELECT (SELECT COUNT(*) FROM credentials WHERE secret_ciphertext LIKE 'v1:%')
            + (SELECT COUNT(*) FROM alert_channels WHERE secret_ciphertext LIKE 'v1:%' OR previous_secret_ciphertext LIKE 'v1:%')
            + (SELECT COUNT(*) FROM settings WHERE value_json LIKE '%"v1:%') AS n`,
    ).first<{ n: number }>();
    expect(leftovers!.n).toBe(0);

    for (const { id, plaintext } of credentials) {
      const sealed = await ciphertextOf("credentials", "secret_ciphertext", id);
      expect(sealed).toMatch(/^v2:/);
      expect(await decryptSecret(env, sealed, SECRET_BINDINGS.credential(id))).toBe(plaintext);
    }
    expect(await decryptSecret(env, await ciphertextOf("alert_channels", "secret_ciphertext", channel), SECRET_BINDINGS.alertChannel(channel))).toBe(
      "whsec_current",
    );
    expect(
      await decryptSecret(env, await ciphertextOf("alert_channels", "previous_secret_ciphertext", channel), SECRET_BINDINGS.alertChannelPrevious(channel)),
    ).toBe("whsec_previous");
    const logExport = (await readConfigSettings(env.LEDGER)).logExport;
    expect(logExport.target === "s3" && (await decryptSecret(env, logExport.secret_ciphertext, SECRET_BINDINGS.logExport()))).toBe("s3-secret");
  });
});
