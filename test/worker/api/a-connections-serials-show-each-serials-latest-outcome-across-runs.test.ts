import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { ConnectionSerial, ConnectionSerialPage, SerialStanding } from "../../../worker/schemas/connection-serials";
import { LATEST_COUNT_CAP } from "../../../worker/ledger/latest-outcomes";
import { DEMO_EXPECTATIONS, DEMO_SINGLE_SERIAL, demoExpectedOutcomes } from "../../../worker/sandbox/demo-data";
import { exports } from "cloudflare:workers";
import { api, configureSandbox, DEMO_IDS, resetWorld, runToEnd, tokenFor } from "../factories";

const SLOW = { timeout: 120_000 };
const FULL = DEMO_EXPECTATIONS.full_run;
const serialsPath = (query = "", id: string = DEMO_IDS.json) => `/api/connections/${id}/serials${query === "" ? "" : `?${query}`}`;

async function page(query = ""): Promise<ConnectionSerialPage> {
  const res = await api<ConnectionSerialPage>("GET", serialsPath(query));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function everySerial(query: string): Promise<ConnectionSerial[]> {
  const all: ConnectionSerial[] = [];
  let cursor: string | null = null;
  do {
    const next: ConnectionSerialPage = await page(`${query}&limit=50${cursor === null ? "" : `&cursor=${cursor}`}`);
    all.push(...next.data);
    cursor = next.next_cursor;
  } while (cursor !== null);
  return all;
}

const expected = demoExpectedOutcomes();
const serialsWith = (outcome: string) => [...expected].filter(([, action]) => action === outcome).map(([serial]) => serial);

describe("GET /api/connections/{id}/serials and GET /api/serials/latest", () => {
  let failedRun: string;
  let dryJob: string;
  let liveJob: string;

  beforeAll(async () => {
    await resetWorld();
    // A Single Live run of DEV-00001 against a fleet answering every request with a 503: the serial fails.
    await configureSandbox({ error_every: 1 });
    failedRun = (await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "live", connection_ids: [DEMO_IDS.json] })).id;
    await configureSandbox({ error_every: null });
  }, 120_000);

  it("shows a serial failing since its failed run, and no serial the connection has not run", async () => {
    const first = await page();
    expect(first.data).toEqual([
      { serial: DEMO_SINGLE_SERIAL, action: "failed", since: expect.any(String), job_id: expect.any(String), run_id: failedRun, mode: "live", job_kept: true },
    ]);
    expect(first.counts).toMatchObject({ failed: 1, updated: 0, would_update: 0 });
    expect(first.count_cap).toBe(LATEST_COUNT_CAP);
  });

  it("a full dry run then a full live run: each serial holds its latest action, since the run that changed it", SLOW, async () => {
    const dry = await runToEnd({ type: "full", mode: "dry", connection_ids: [DEMO_IDS.json] });
    dryJob = dry.jobs[0]!.id;
    const afterDry = await everySerial("");
    expect(afterDry).toHaveLength(FULL.in_scope);
    expect(Object.fromEntries(afterDry.map((s) => [s.serial, s.action]))).toEqual(Object.fromEntries(expected));
    expect(new Set(afterDry.map((s) => s.mode))).toEqual(new Set(["dry"]));
    const { in_scope: _inScope, ...fullCounts } = FULL;
    // DEV-00001 failed in the Single run; the dry run's would-update is its latest outcome now.
    expect((await page()).counts).toMatchObject({ ...fullCounts, failed: 0, updated: 0 });

    const live = await runToEnd({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json] });
    liveJob = live.jobs[0]!.id;
    const afterLive = new Map((await everySerial("")).map((s) => [s.serial, s]));
    for (const serial of serialsWith("would_update")) expect(afterLive.get(serial), serial).toMatchObject({ action: "updated", job_id: liveJob, mode: "live" });
    // The live run found the rest as the dry run did: their rows still name the dry job, when they took that action.
    for (const serial of serialsWith("skipped_no_change")) expect(afterLive.get(serial), serial).toMatchObject({ action: "skipped_no_change", job_id: dryJob });
    const counts = (await page()).counts!;
    expect(counts).toMatchObject({ updated: FULL.would_update, would_update: 0, missing_destination: FULL.missing_destination, failed: 0 });
  });

  it("filters by action and by serial prefix, and pages in serial order with a cursor", async () => {
    const missing = await everySerial("action=missing_destination");
    expect(missing.map((s) => s.serial)).toEqual(serialsWith("missing_destination").sort());
    const prefix = missing[0]!.serial.slice(0, -1);
    const byPrefix = await everySerial(`serial=${encodeURIComponent(prefix)}`);
    expect(byPrefix.length).toBeGreaterThan(0);
    expect(byPrefix.every((s) => s.serial.startsWith(prefix))).toBe(true);
    const both = await everySerial(`serial=${encodeURIComponent(prefix)}&action=missing_destination`);
    expect(both.map((s) => s.serial)).toEqual(missing.filter((s) => s.serial.startsWith(prefix)).map((s) => s.serial));

    const first = await page("limit=3");
    expect(first.data.map((s) => s.serial)).toEqual([...expected.keys()].sort().slice(0, 3));
    const second = await page(`limit=3&cursor=${first.next_cursor}`);
    expect(second.data.map((s) => s.serial)).toEqual([...expected.keys()].sort().slice(3, 6));
    // Counts come with the first page only.
    expect(second.counts).toBeNull();
  });

  it("exports every matching serial as CSV, a page at a time behind the stream, with format=csv or Accept: text/csv", async () => {
    const worker = exports.default as unknown as Fetcher;
    const get = async (query: string, headers: Record<string, string> = {}) =>
      worker.fetch(`http://localhost${serialsPath(query)}`, { headers: { authorization: `Bearer ${await tokenFor("viewer")}`, ...headers } });
    const res = await get("format=csv&action=missing_destination");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toBe(`attachment; filename="${DEMO_IDS.json}-serials.csv"`);
    const lines = (await res.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe("serial,action,since,mode,job_id,run_id,job_kept");
    expect(lines.slice(1).map((line) => line.split(",")[0])).toEqual(serialsWith("missing_destination").sort());
    expect(lines[1]).toMatch(new RegExp(`^DEV-\\d+,missing_destination,\\d{4}-[^,]+,dry,${dryJob},run_\\w+,true$`));

    const all = await get("", { accept: "text/csv" });
    expect((await all.text()).trimEnd().split("\r\n")).toHaveLength(1 + FULL.in_scope);
    const unknown = await worker.fetch(`http://localhost${serialsPath("format=csv", "conn_nope")}`, {
      headers: { authorization: `Bearer ${await tokenFor("viewer")}` },
    });
    await unknown.text();
    expect(unknown.status).toBe(404);
  });

  it("shows one serial on every connection that decided it, in execution order, by its exact serial", SLOW, async () => {
    const xml = await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "dry", connection_ids: [DEMO_IDS.xml] });
    const res = await api<SerialStanding>("GET", `/api/serials/latest?serial=${DEMO_SINGLE_SERIAL}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      serial: DEMO_SINGLE_SERIAL,
      connections: [
        expect.objectContaining({
          connection_id: DEMO_IDS.json,
          credential_id: DEMO_IDS.credential,
          action: "updated",
          job_id: liveJob,
          mode: "live",
          job_kept: true,
        }),
        expect.objectContaining({ connection_id: DEMO_IDS.xml, action: "skipped_no_change", job_id: xml.jobs[0]!.id, run_id: xml.id, mode: "dry" }),
      ],
    });
    // Exactly that serial: a prefix of it names none.
    expect((await api<SerialStanding>("GET", `/api/serials/latest?serial=${DEMO_SINGLE_SERIAL.slice(0, -1)}`)).body.connections).toEqual([]);
    const missing = await api<{ error: { details: Array<{ path: string }> } }>("GET", "/api/serials/latest");
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.map((d) => d.path)).toContain("serial");
  });

  it("keeps a serial's outcome once retention has deleted its job and run, and says so", async () => {
    const serial = serialsWith("missing_destination")[0]!;
    await env.LEDGER.batch([
      env.LEDGER.prepare("DELETE FROM jobs WHERE id = ?1").bind(dryJob),
      env.LEDGER.prepare("DELETE FROM runs WHERE id = (SELECT run_id FROM latest_outcomes WHERE job_id = ?1 LIMIT 1)").bind(dryJob),
    ]);
    const [row] = (await page(`serial=${serial}`)).data;
    expect(row).toMatchObject({ serial, action: "missing_destination", job_id: dryJob, mode: null, job_kept: false });
  });

  it("stops each count past its cap rather than walking a million serials", async () => {
    await env.LEDGER.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
       INSERT INTO latest_outcomes (connection_id, serial, action, job_id, run_id, at)
       SELECT ?1, printf('CAP-%06d', i), 'failed', 'job_cap', 'run_cap', 0 FROM n`,
    )
      .bind(DEMO_IDS.xml, LATEST_COUNT_CAP + 50)
      .run();
    const res = await api<ConnectionSerialPage>("GET", serialsPath("action=failed&limit=2", DEMO_IDS.xml));
    expect(res.body.counts!.failed).toBe(LATEST_COUNT_CAP + 1);
    expect(res.body.data.map((s) => s.serial)).toEqual(["CAP-000001", "CAP-000002"]);
  });

  it("answers 404 for an unknown connection and 400 naming the field for a bad action, limit or cursor", async () => {
    const unknown = await api<{ error: { code: string } }>("GET", serialsPath("", "conn_nope"));
    expect(unknown.status).toBe(404);
    for (const [query, field] of [
      ["action=exploded", "action"],
      ["limit=0", "limit"],
      ["cursor=not-ours", "cursor"],
    ] as const) {
      const res = await api<{ error: { details: Array<{ path: string }> } }>("GET", serialsPath(query));
      expect(res.status, query).toBe(400);
      expect(res.body.error.details.map((d) => d.path)).toContain(field);
    }
  });
});
