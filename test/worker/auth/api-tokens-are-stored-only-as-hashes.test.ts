import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ROLES, roleAtLeast } from "../../../worker/auth/principal";
import { generateApiToken, hashApiToken, LAST_USED_INTERVAL_MS, verifyApiToken } from "../../../worker/auth/tokens";
import { listApiTokens, revokeApiToken } from "../../../worker/ledger/api-tokens";
import { makeToken } from "../factories";

async function rawRow(id: string): Promise<Record<string, unknown>> {
  const row = await env.LEDGER.prepare("SELECT * FROM api_tokens WHERE id = ?").bind(id).first<Record<string, unknown>>();
  expect(row).not.toBeNull();
  return row!;
}

async function lastUsedAt(id: string): Promise<number | null> {
  return (await rawRow(id)).last_used_at as number | null;
}

describe("API token format", () => {
  it("carries the role letter and 32 unambiguous base32 characters, different every time", () => {
    expect(generateApiToken("admin")).toMatch(/^osk_a_[0-9a-hjkmnp-tv-z]{32}$/);
    expect(generateApiToken("operator")).toMatch(/^osk_o_/);
    expect(generateApiToken("viewer")).toMatch(/^osk_v_/);
    const many = new Set(Array.from({ length: 200 }, () => generateApiToken("viewer")));
    expect(many.size).toBe(200);
  });

  it("hashes as lowercase SHA-256 hex, which the token script reproduces in Node", async () => {
    expect(await hashApiToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("issuing and verifying API tokens", () => {
  it("stores the hash and a short prefix but never the token itself", async () => {
    const created = await makeToken("operator");
    const row = await rawRow(created.id);
    expect(row.token_hash).toBe(await hashApiToken(created.token));
    expect(row.token_prefix).toBe(created.token.slice(0, 12));
    expect(created.prefix).toBe(created.token.slice(0, 12));
    const secretPart = created.token.slice(12);
    for (const value of Object.values(row)) expect(String(value)).not.toContain(secretPart);
  });

  it("lists tokens without the token or its hash", async () => {
    const created = await makeToken("viewer");
    const listed = (await listApiTokens(env.LEDGER)).find((t) => t.id === created.id);
    expect(listed).toEqual({
      id: created.id,
      name: created.name,
      role: "viewer",
      prefix: created.prefix,
      created_by: "test",
      created_at: created.created_at,
      last_used_at: null,
      revoked_at: null,
      expires_at: null,
    });
    expect(JSON.stringify(listed)).not.toContain(created.token.slice(12));
  });

  it("verifies a token as a principal with the role stored in its row", async () => {
    const created = await makeToken("operator", "ci-runner");
    const check = await verifyApiToken(env.LEDGER, created.token, Date.now());
    expect(check).toEqual({ ok: true, principal: { kind: "token", id: created.id, name: "ci-runner", role: "operator", expiresAt: null } });

    // The letter in the token is a label; demoting the row demotes the token.
    await env.LEDGER.prepare("UPDATE api_tokens SET role = 'viewer' WHERE id = ?").bind(created.id).run();
    expect(await verifyApiToken(env.LEDGER, created.token, Date.now())).toMatchObject({ ok: true, principal: { role: "viewer" } });
  });

  it("refuses unknown, malformed and revoked tokens with a reason", async () => {
    const now = Date.now();
    expect(await verifyApiToken(env.LEDGER, generateApiToken("admin"), now)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^The API token is not recognised/),
      hint: expect.stringContaining("another installation"),
    });
    expect(await verifyApiToken(env.LEDGER, "not-a-token", now)).toMatchObject({ ok: false, reason: expect.stringContaining("osk_") });

    const created = await makeToken("viewer", "old-laptop");
    const extra = await makeToken("admin");
    expect((await revokeApiToken(env.LEDGER, created.id, now)).status).toBe("revoked");
    expect(await verifyApiToken(env.LEDGER, created.token, now + 1)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"old-laptop" was revoked'),
    });
    expect((await verifyApiToken(env.LEDGER, extra.token, now)).ok).toBe(true);
  });

  it("records last use at most once a minute, not on every request", async () => {
    const created = await makeToken("viewer");
    const start = Date.now();
    await verifyApiToken(env.LEDGER, created.token, start);
    expect(await lastUsedAt(created.id)).toBe(start);
    await verifyApiToken(env.LEDGER, created.token, start + LAST_USED_INTERVAL_MS - 1);
    expect(await lastUsedAt(created.id)).toBe(start);
    await verifyApiToken(env.LEDGER, created.token, start + LAST_USED_INTERVAL_MS);
    expect(await lastUsedAt(created.id)).toBe(start + LAST_USED_INTERVAL_MS);
  });
});

describe("revoking API tokens", () => {
  it("keeps the first revocation time when revoked again, and reports unknown ids", async () => {
    await makeToken("admin");
    const created = await makeToken("admin");
    const first = await revokeApiToken(env.LEDGER, created.id, 1_000);
    const second = await revokeApiToken(env.LEDGER, created.id, 2_000);
    expect(first).toMatchObject({ status: "revoked", token: { revoked_at: new Date(1_000).toISOString() } });
    expect(second).toEqual(first);
    expect(await revokeApiToken(env.LEDGER, "tok_missing", 3_000)).toEqual({ status: "not_found" });
  });

  it("refuses to revoke the last active admin token", async () => {
    // No active admin at all, a state revokeApiToken refuses to make: cleared directly.
    await env.LEDGER.prepare("UPDATE api_tokens SET revoked_at = 1 WHERE role = 'admin' AND revoked_at IS NULL").run();
    const only = await makeToken("admin");
    expect(await revokeApiToken(env.LEDGER, only.id, Date.now())).toMatchObject({ status: "last_admin" });
    expect((await verifyApiToken(env.LEDGER, only.token, Date.now())).ok).toBe(true);

    const second = await makeToken("admin");
    expect((await revokeApiToken(env.LEDGER, only.id, Date.now())).status).toBe("revoked");
    expect(await revokeApiToken(env.LEDGER, second.id, Date.now())).toMatchObject({ status: "last_admin" });
  });
});

describe("role ordering", () => {
  it("ranks viewer < operator < admin", () => {
    const table = ROLES.map((have) => ROLES.map((need) => roleAtLeast(have, need)));
    expect(table).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
  });
});
