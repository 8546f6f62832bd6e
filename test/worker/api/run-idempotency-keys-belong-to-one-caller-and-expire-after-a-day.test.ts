import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { RunDetail } from "../../../worker/schemas/runs";
import { IDEMPOTENCY_KEY_TTL_MS, purgeExpiredIdempotencyKeys } from "../../../worker/ledger/run-idempotency";
import { api, DEMO_IDS, makeToken, resetWorld } from "../factories";

const SLOW = { timeout: 60_000 };
const HOUR = 3_600_000;
const body = { credential_id: DEMO_IDS.credential, type: "single", serial: "DEV-00001", mode: "dry" };

beforeEach(async () => {
  await resetWorld();
});

const newKey = () => `key-${crypto.randomUUID()}`;

async function post(key: string, token?: string, payload: Record<string, unknown> = body) {
  return api<RunDetail & { error?: { code: string; meta: Record<string, unknown> } }>("POST", "/api/runs", payload, {
    "Idempotency-Key": key,
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  });
}

async function runCount(): Promise<number> {
  return (await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM runs").first<{ n: number }>())!.n;
}

// Ages every stored key as if it had been used `hours` ago.
async function ageKeys(hours: number): Promise<void> {
  await env.LEDGER.prepare("UPDATE run_idempotency_keys SET created_at = created_at - ?1")
    .bind(hours * HOUR)
    .run();
}

describe("Idempotency-Key on POST /api/runs", () => {
  it("belongs to its caller: the same key from another token creates that caller's own run", SLOW, async () => {
    const key = newKey();
    const alice = (await makeToken("operator")).token;
    const bob = (await makeToken("operator")).token;
    const first = await post(key, alice);
    const other = await post(key, bob);
    expect(first.status).toBe(202);
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(first.body.id);
    expect(other.headers.get("Idempotent-Replayed")).toBeNull();

    // Each caller's retry still gets its own run back, never the other's.
    expect((await post(key, alice)).body.id).toBe(first.body.id);
    expect((await post(key, bob)).body.id).toBe(other.body.id);
  });

  it("a different body under another caller's key is that caller's new run, not a 409 naming the other's run", SLOW, async () => {
    const key = newKey();
    const first = await post(key, (await makeToken("operator")).token);
    const other = await post(key, (await makeToken("operator")).token, { ...body, serial: "DEV-00002" });
    expect(other.status).toBe(202);
    expect(JSON.stringify(other.body)).not.toContain(first.body.id);
  });

  it("replays within 24 hours and creates a new run after", SLOW, async () => {
    const key = newKey();
    const first = await post(key);
    await ageKeys(23);
    const retry = await post(key);
    expect(retry.body.id).toBe(first.body.id);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");

    await ageKeys(2);
    const later = await post(key);
    expect(later.status).toBe(202);
    expect(later.body.id).not.toBe(first.body.id);
    expect(later.headers.get("Idempotent-Replayed")).toBeNull();
    // The key now names the new run for the next 24 hours.
    expect((await post(key)).body.id).toBe(later.body.id);
  });

  it("two concurrent requests with the same key create one run", SLOW, async () => {
    const key = newKey();
    const before = await runCount();
    const [a, b] = await Promise.all([post(key), post(key)]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.id).toBe(b.body.id);
    expect(await runCount()).toBe(before + 1);
  });

  it("refuses the same key with a different body with 409 and creates nothing", SLOW, async () => {
    const key = newKey();
    const first = await post(key);
    const before = await runCount();
    const changed = await post(key, undefined, { ...body, serial: "DEV-00002" });
    expect(changed.status).toBe(409);
    expect(changed.body.error).toMatchObject({ code: "idempotency_key_reused", meta: { run_id: first.body.id } });
    // An explicit mode that differs from the first request is a different request too.
    expect((await post(key, undefined, { ...body, mode: "live" })).status).toBe(409);
    expect(await runCount()).toBe(before);
  });

  it("old keys are purged in bounded batches and the runs stay", SLOW, async () => {
    await env.LEDGER.prepare("DELETE FROM run_idempotency_keys").run(); // keys of the tests above
    const keys = [newKey(), newKey(), newKey()];
    for (const key of keys) await post(key);
    await ageKeys(25);
    const fresh = newKey();
    await post(fresh);
    const before = await runCount();

    const now = Date.now();
    expect(await purgeExpiredIdempotencyKeys(env.LEDGER, now, 2)).toBe(2);
    expect(await purgeExpiredIdempotencyKeys(env.LEDGER, now, 2)).toBe(1);
    expect(await purgeExpiredIdempotencyKeys(env.LEDGER, now, 2)).toBe(0);
    const left = await env.LEDGER.prepare("SELECT key FROM run_idempotency_keys").all<{ key: string }>();
    expect(left.results.map((r) => r.key)).toEqual([fresh]);
    expect(await runCount()).toBe(before);
    expect(IDEMPOTENCY_KEY_TTL_MS).toBe(24 * HOUR);
  });
});
