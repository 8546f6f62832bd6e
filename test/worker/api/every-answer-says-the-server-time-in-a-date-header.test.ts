import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { makeToken } from "../factories";

const worker = exports.default;

// The dashboard sets its clock by this header (web/src/lib/server-clock.ts), so every kind of answer carries it.
async function expectServerTime(res: Response): Promise<void> {
  const header = res.headers.get("date");
  expect(header).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  expect(Math.abs(Date.parse(header!) - Date.now())).toBeLessThan(5_000);
  await res.arrayBuffer();
}

describe("the Date header", () => {
  it("is on the public health check and an authenticated answer", async () => {
    await expectServerTime(await worker.fetch("http://localhost/api/health"));
    const { token } = await makeToken("viewer");
    await expectServerTime(await worker.fetch("http://localhost/api/session", { headers: { Authorization: `Bearer ${token}` } }));
  });

  it("is on errors: a refused caller and an unknown route", async () => {
    const refused = await worker.fetch("http://localhost/api/runs");
    expect(refused.status).toBe(401);
    await expectServerTime(refused);
    const { token } = await makeToken("viewer");
    const missing = await worker.fetch("http://localhost/api/no-such-route", { headers: { Authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(404);
    await expectServerTime(missing);
  });

  it("is on an answer passed through from a Durable Object (the sandbox destination)", async () => {
    const res = await worker.fetch("http://localhost/sandbox/api/devices");
    expect(res.status).toBeLessThan(500);
    await expectServerTime(res);
  });
});
