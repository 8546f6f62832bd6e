import { beforeAll, describe, expect, it } from "vitest";
import type { RequestEntry, RequestEntryPage } from "../../../worker/schemas/requests";
import type { RunDetail } from "../../../worker/schemas/runs";
import { demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { call } from "./config-api";
import { configureSandbox, demoConfig, driveRun, makeCredentialWith, resetWorld, startRun } from "../factories";

const SLOW = { timeout: 120_000 };
const SECRET = "inspector-bearer-7f3a9c";
const EXCERPT = 40;
const RECORDS = demoSourceDevices().slice(0, 12);

let run: RunDetail;
let jobId: string;
let all: RequestEntry[];
let bulkJobId: string;
let bulkWritten: number;

async function page(query: string, as: "viewer" | "operator" = "operator"): Promise<RequestEntryPage> {
  const res = await call<RequestEntryPage>("GET", `/api/jobs/${jobId}/requests${query}`, { as });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function walk(query: string, limit: number): Promise<RequestEntry[]> {
  const seen: RequestEntry[] = [];
  let cursor: string | null = null;
  do {
    const next: RequestEntryPage = await page(`?limit=${limit}${query}${cursor === null ? "" : `&cursor=${cursor}`}`);
    expect(next.data.length).toBeLessThanOrEqual(limit);
    seen.push(...next.data);
    cursor = next.next_cursor;
  } while (cursor !== null);
  return seen;
}

beforeAll(async () => {
  await resetWorld();
  // Every 4th request to the fleet answers 503: the client retries it, so some requests have a second attempt.
  await configureSandbox({ error_every: 4 });
  expect((await call("PUT", "/api/settings", { body: { request_log: { body_excerpt_bytes: EXCERPT } } })).status).toBe(200);
  const config = demoConfig(0, (c) => {
    if (c.fetch.mode === "per_serial") c.fetch.url_template = `${c.fetch.url_template}?token=${SECRET}`;
    c.update.verify_writes = "all";
  });
  const { credentialId, connectionIds } = await makeCredentialWith(
    [
      { config, dry_run: false },
      { config: demoConfig(2), dry_run: false },
    ],
    RECORDS,
    SECRET,
  );
  run = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live", connection_ids: [connectionIds[0]!] })).id);
  jobId = run.jobs[0]!.id;
  // The fleet listing (source pages, listing pages, bulk writes) without the fault: a bulk POST without an
  // idempotency key is not resent.
  await configureSandbox({ error_every: null });
  const bulk = await driveRun((await startRun({ credential_id: credentialId, type: "full", mode: "live", connection_ids: [connectionIds[1]!] })).id);
  bulkJobId = bulk.jobs[0]!.id;
  bulkWritten = bulk.jobs[0]!.updated;
  all = (await page("?limit=500")).data;
}, 120_000);

describe("a job's requests", () => {
  it("list every lookup and write of a run against the sandbox, with its serial and status, by seq", SLOW, () => {
    const job = run.jobs[0]!;
    expect(job.status).toBe("completed");
    expect(all.map((r) => r.seq)).toEqual(all.map((_, i) => i + 1));
    // Each record is looked up once to an answer (found or not): the 503s before it are attempts of the same request.
    const lookups = all.filter((r) => r.phase === "lookup" && r.status !== 503);
    expect(lookups.map((r) => r.serials[0]).sort()).toEqual(RECORDS.map((d) => d.serial).sort());
    expect(lookups.every((r) => r.method === "GET" && r.serials.length === 1 && (r.status === 200 || r.status === 404))).toBe(true);
    const writes = all.filter((r) => r.phase === "update" && r.status === 200);
    expect(job.verified).toBeGreaterThan(0);
    expect(writes).toHaveLength(job.updated + job.verified + job.verify_mismatch);
    // Every write is read back through the same client, under its own phase.
    const readBacks = all.filter((r) => r.phase === "readback" && r.status === 200);
    expect(readBacks.map((r) => r.serials[0]).sort()).toEqual(writes.map((r) => r.serials[0]).sort());
    expect(writes.every((r) => r.method === "PATCH" && r.serials.length === 1 && r.url.endsWith(`/${r.serials[0]}`))).toBe(true);
    expect(all.every((r) => r.duration_ms >= 0 && !Number.isNaN(Date.parse(r.at)))).toBe(true);
  });

  it("list a bulk job's source pages, listing pages and bulk writes, each write with the serials it carries", SLOW, async () => {
    const res = await call<RequestEntryPage>("GET", `/api/jobs/${bulkJobId}/requests?limit=500`, { as: "viewer" });
    const phases = new Set(res.body.data.map((r) => r.phase));
    expect(phases).toEqual(new Set(["source", "listing", "update"]));
    expect(res.body.data.filter((r) => r.phase !== "update").every((r) => r.method === "GET" && r.serials.length === 0)).toBe(true);
    const writes = res.body.data.filter((r) => r.phase === "update");
    expect(writes.every((r) => r.method === "POST" && r.status === 200 && r.serials.length > 0 && r.serials.length <= 50)).toBe(true);
    expect(writes.reduce((n, r) => n + r.serials.length, 0)).toBe(bulkWritten);
  });

  it("show a retried request as attempt 2 with the reason of the retry", SLOW, () => {
    const failed = all.filter((r) => r.status === 503);
    expect(failed.length).toBeGreaterThan(0);
    for (const first of failed) {
      const retry = all.find((r) => r.seq > first.seq && r.url === first.url && r.method === first.method && r.attempt === first.attempt + 1);
      expect(retry, `the retry of #${first.seq}`).toMatchObject({ retry_reason: "server_error" });
    }
    expect(all.filter((r) => r.attempt === 1).every((r) => r.retry_reason === null)).toBe(true);
  });

  it("mask the credential in headers and URLs and keep bodies to the configured excerpt", SLOW, () => {
    const text = JSON.stringify(all);
    expect(text).not.toContain(SECRET);
    expect(all.every((r) => r.request_headers.authorization === "[redacted]")).toBe(true);
    expect(all.filter((r) => r.phase === "lookup").every((r) => r.url.endsWith("?token=[redacted]"))).toBe(true);
    const bodies = all.flatMap((r) => [r.request_body, r.response_body]).filter((b): b is string => b !== null);
    expect(bodies.length).toBeGreaterThan(0);
    for (const body of bodies) expect(new TextEncoder().encode(body.replace(/…$/, "")).byteLength).toBeLessThanOrEqual(EXCERPT);
    expect(all.filter((r) => r.truncated).every((r) => `${r.request_body}${r.response_body}`.includes("…"))).toBe(true);
    expect(all.some((r) => r.truncated)).toBe(true);
    expect(all.every((r) => r.response_headers["set-cookie"] === undefined)).toBe(true);
  });

  it("show viewers everything but the bodies, and operators the bodies", SLOW, async () => {
    const viewer = await page("?limit=500", "viewer");
    expect(viewer.data).toHaveLength(all.length);
    expect(viewer.data.every((r) => r.request_body === null && r.response_body === null && r.bodies_hidden)).toBe(true);
    expect(viewer.data.map(({ request_body: _a, response_body: _b, bodies_hidden: _c, ...rest }) => rest)).toEqual(
      all.map(({ request_body: _a, response_body: _b, bodies_hidden: _c, ...rest }) => rest),
    );
    expect(all.every((r) => !r.bodies_hidden)).toBe(true);
    const withBody = all.find((r) => r.response_body !== null)!;
    const one = await call<RequestEntry>("GET", `/api/jobs/${jobId}/requests/${withBody.seq}`, { as: "operator" });
    expect(one.body).toEqual(withBody);
    const hidden = await call<RequestEntry>("GET", `/api/jobs/${jobId}/requests/${withBody.seq}`, { as: "viewer" });
    expect(hidden.body).toMatchObject({ seq: withBody.seq, response_body: null, request_body: null, bodies_hidden: true });
  });

  it("filter by serial, status class, method, URL and phase, and page with a cursor", SLOW, async () => {
    const serial = all.find((r) => r.phase === "update")!.serials[0]!;
    const cases: Array<[string, (r: RequestEntry) => boolean]> = [
      [`&serial=${serial}`, (r) => r.serials.includes(serial)],
      ["&status=5xx", (r) => r.status !== null && r.status >= 500],
      ["&status=2xx", (r) => r.status !== null && r.status < 300],
      ["&method=patch", (r) => r.method === "PATCH"],
      [`&url=${encodeURIComponent(serial.toLowerCase())}`, (r) => r.url.toLowerCase().includes(serial.toLowerCase())],
      ["&phase=lookup", (r) => r.phase === "lookup"],
      ["&phase=update&status=2xx", (r) => r.phase === "update" && r.status === 200],
    ];
    for (const [query, matches] of cases) {
      const expected = all.filter(matches);
      expect(expected.length, query).toBeGreaterThan(0);
      expect(await walk(query, 3), query).toEqual(expected);
    }
    expect(await walk("", 7)).toEqual(all);
    expect((await page("?phase=token")).data).toEqual([]);
  });

  it("answer 404 for an unknown job or seq and 400 naming a bad filter or cursor", async () => {
    expect((await call("GET", "/api/jobs/job_nope/requests", { as: "viewer" })).status).toBe(404);
    expect((await call("GET", `/api/jobs/${jobId}/requests/999999`, { as: "viewer" })).status).toBe(404);
    for (const [query, field] of [
      ["?status=6xx", "status"],
      ["?phase=reading", "phase"],
      ["?cursor=abc", "cursor"],
      ["?limit=0", "limit"],
    ]) {
      const res = await call<{ error: { details?: Array<{ path: string }> } }>("GET", `/api/jobs/${jobId}/requests${query}`, { as: "viewer" });
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body), query).toContain(field);
    }
  });
});
