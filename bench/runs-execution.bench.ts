/// <reference types="node" />
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { Miniflare as MiniflareInstance } from "miniflare";
import type { D1Database } from "@cloudflare/workers-types";
import { newId } from "../worker/ledger/ids";

// Runs inside workerd (Miniflare, the engine `wrangler dev` uses), driving the real worker through its API.
// 1. Execution: a dataset connection of SERIALS records against a node:http destination on 127.0.0.1 that
//    answers every request after LATENCY_MS: Full Dry (list lookup), then Full Live (one PUT per changed
//    record, concurrency 6). D1 statements are counted by wrapping the LEDGER binding the worker sees
//    (bench/support/runs-execution-worker.mjs): a batch of n statements counts n.
//    The destination runs in its own thread: Miniflare's D1 proxy blocks the calling thread while workerd
//    answers, and a destination sharing that thread answered 3 ms late and made the engine look slow.
//    The same-run baseline is a plain fetch loop inside workerd sending as many PUTs at the same concurrency.
// 2. Listing: RUNS runs with 5 jobs each seeded into local D1, then p50/p95 of GET /api/runs per filter.
// Smaller: BENCH_SERIALS=2000 BENCH_RUNS=20000 npm run bench -- runs; one part: BENCH_PART=execution|listing.
const SERIALS = Number(process.env.BENCH_SERIALS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200_000);
const PART = process.env.BENCH_PART ?? "all";
const LIST_ROUNDS = Number(process.env.BENCH_LIST_ROUNDS ?? 30);
const LATENCY_MS = 10;
const POLL_MS = 100;
const CONCURRENCY = 6;
const LIST_PAGE = 1_000;
const JOBS_PER_RUN = 5;
const CREDENTIALS = 4;
const SEED_CHUNK = 20_000;
const SPAN_DAYS = 60;
const DAY_MS = 86_400_000;
const TARGETS = { live_wall_to_bound_max: 1.5, d1_statements_per_1000_records_max: 10, list_p95_ms_max: 50 } as const;
const RESULTS = "bench/results/runs-execution.json";
// Resolved at run time from node_modules: bundling these into the bench would break their paths to binaries.
const MINIFLARE_MODULE = "miniflare";
const ESBUILD_MODULE = "esbuild";
const VITEST_PLUGIN_MODULE = "@cloudflare/vitest-plugin";

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

const serialOf = (i: number) => `SN-${String(i).padStart(6, "0")}`;

// ---- Loopback destination: GET /devices (cursor pages), GET /devices/{serial}, PUT /devices/{serial} ----

interface DestinationCounts {
  list: number;
  get: number;
  put: number;
  other: number;
  // Sum of request durations at the destination and the most in flight at once: with the wall time they
  // show how much of the allowed concurrency a run really used.
  busy_ms: number;
  max_in_flight: number;
}

interface Destination {
  url: string;
  counts(): Promise<DestinationCounts>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

// Runs in the destination thread; the main thread reads and resets its counts over HTTP (/__counts).
async function serveDestination(serials: number): Promise<number> {
  // Every device's status differs from the dataset's, so a live run writes each record once.
  const devices = new Map<string, { serial: string; status: string; firmware: string }>();
  for (let i = 0; i < serials; i++) devices.set(serialOf(i), { serial: serialOf(i), status: "offline", firmware: "1.0.0" });
  const ordered = [...devices.keys()].sort();
  const zero = (): DestinationCounts => ({ list: 0, get: 0, put: 0, other: 0, busy_ms: 0, max_in_flight: 0 });
  let counts = zero();
  let inFlight = 0;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  };
  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/__counts") {
      const current = counts;
      if (req.method === "DELETE") counts = zero();
      return send(res, 200, current);
    }
    const arrived = performance.now();
    const tally = counts;
    inFlight += 1;
    tally.max_in_flight = Math.max(tally.max_in_flight, inFlight);
    res.on("finish", () => {
      inFlight -= 1;
      tally.busy_ms += performance.now() - arrived;
    });
    void (async () => {
      const body = await readBody(req);
      await sleep(LATENCY_MS);
      const match = /^\/devices\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && url.pathname === "/devices") {
        tally.list += 1;
        const start = Number(url.searchParams.get("cursor") ?? 0);
        const slice = ordered.slice(start, start + LIST_PAGE);
        const next = start + LIST_PAGE < ordered.length ? String(start + LIST_PAGE) : null;
        return send(res, 200, { devices: slice.map((serial) => devices.get(serial)), next_cursor: next });
      }
      if (match !== null && req.method === "GET") {
        tally.get += 1;
        const device = devices.get(decodeURIComponent(match[1]!));
        return device === undefined ? send(res, 404, { error: "not found" }) : send(res, 200, { device });
      }
      if (match !== null && req.method === "PUT") {
        tally.put += 1;
        const device = devices.get(decodeURIComponent(match[1]!));
        if (device === undefined) return send(res, 404, { error: "not found" });
        Object.assign(device, JSON.parse(body) as object);
        return send(res, 200, { device });
      }
      tally.other += 1;
      return send(res, 404, { error: `no route ${req.method} ${url.pathname}` });
    })().catch((error: unknown) => send(res, 500, { error: String(error) }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function startDestination(serials: number): Promise<Destination> {
  const thread = new Worker(new URL(import.meta.url), { workerData: { role: "destination", serials } });
  const port = await new Promise<number>((resolve, reject) => {
    thread.once("message", (message: { port: number }) => resolve(message.port));
    thread.once("error", reject);
  });
  const url = `http://127.0.0.1:${port}`;
  const counts = async (method: "GET" | "DELETE") => (await (await fetch(`${url}/__counts`, { method })).json()) as DestinationCounts;
  return {
    url,
    counts: () => counts("GET"),
    reset: async () => void (await counts("DELETE")),
    close: async () => void (await thread.terminate()),
  };
}

// ---- The worker inside Miniflare ----

interface Bench {
  mf: MiniflareInstance;
  db: D1Database;
  token: string;
  api<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T>;
  timedGet(path: string): Promise<number>;
  d1Tallies(reset?: boolean): Promise<Record<string, { statements: number; round_trips: number; batches: number }>>;
}

async function startWorker(persist: string): Promise<Bench> {
  const { build } = (await import(ESBUILD_MODULE)) as typeof import("esbuild");
  const bundled = await build({
    entryPoints: ["bench/support/runs-execution-worker.mjs"],
    write: false,
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser", "import"],
    external: ["cloudflare:*", "node:*"],
    logLevel: "warning",
  });
  const code = bundled.outputFiles[0]?.text ?? "";
  const name = "runs-execution-bench";
  const doBinding = (exportName: string) => ({ type: "durable-object" as const, worker: name, exportName });
  const { Miniflare } = (await import(MINIFLARE_MODULE)) as typeof import("miniflare");
  const mf: MiniflareInstance = new Miniflare({
    resourcePersistencePath: persist,
    workers: [
      {
        config: {
          name,
          compatibilityDate: "2026-11-01",
          compatibilityFlags: ["nodejs_compat"],
          manifest: { mainModule: "worker.mjs", modules: { "worker.mjs": { type: "esm", contents: code } } },
          env: {
            LEDGER: { type: "d1", id: "bench-ledger" },
            RUN_COORDINATOR: doBinding("RunCoordinator"),
            SANDBOX_FLEET: doBinding("SandboxFleet"),
            LIVE_HUB: doBinding("LiveHub"),
            ALERT_SENDER: doBinding("AlertChannelSender"),
            ALERT_QUEUE: { type: "queue", name: "outbound-sync-alerts" },
            SANDBOX: { type: "text", value: "off" },
            DEMO_SEED: { type: "text", value: "off" },
            // Development rules for outbound URLs: plain http to the loopback destination is allowed.
            ENVIRONMENT: { type: "text", value: "development" },
            // BENCH_TUNING (JSON, coordinator-config.ts keys) lets a diagnosis change slice or checkpoint sizes
            // through the coordinator's own COORDINATOR_TUNING var, without touching worker code.
            ...(process.env.BENCH_TUNING ? { COORDINATOR_TUNING: { type: "text", value: process.env.BENCH_TUNING } } : {}),
          },
          exports: {
            RunCoordinator: { type: "durable-object", storage: "sqlite" },
            SandboxFleet: { type: "durable-object", storage: "sqlite" },
            LiveHub: { type: "durable-object", storage: "sqlite" },
            AlertChannelSender: { type: "durable-object", storage: "sqlite" },
          },
          // As wrangler.toml's consumer: status changes reach the alerts queue as in production.
          triggers: [{ type: "queue", name: "outbound-sync-alerts", maxBatchSize: 50, maxBatchTimeout: 1, maxRetries: 10 }],
        },
      },
    ],
  } as ConstructorParameters<typeof Miniflare>[0]);
  const db = (await mf.getD1Database("LEDGER")) as unknown as D1Database;

  const { readD1Migrations } = (await import(VITEST_PLUGIN_MODULE)) as typeof import("@cloudflare/vitest-plugin");
  for (const migration of await readD1Migrations("migrations")) {
    for (const query of migration.queries) await db.prepare(query).run();
  }

  // An admin token written straight into the ledger (same hash as worker/auth/tokens.ts).
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  const token = `osk_a_${Array.from(randomBytes(32), (b) => alphabet[b % 32]).join("")}`;
  await db
    .prepare("INSERT INTO api_tokens (id, name, role, token_hash, token_prefix, created_by, created_at) VALUES (?1, 'bench', 'admin', ?2, ?3, 'bench', ?4)")
    .bind(newId("tok"), createHash("sha256").update(token).digest("hex"), token.slice(0, 12), Date.now())
    .run();

  const fetchApi = (method: string, path: string, body?: string, contentType = "application/json") =>
    mf.dispatchFetch(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": contentType }) },
      ...(body === undefined ? {} : { body }),
    });
  return {
    mf,
    db,
    token,
    async api<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
      const res = await fetchApi(method, path, body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), contentType);
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    },
    async timedGet(path: string): Promise<number> {
      const started = performance.now();
      const res = await fetchApi("GET", path);
      const text = await res.text();
      const ms = performance.now() - started;
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 500)}`);
      return ms;
    },
    async d1Tallies(reset = false) {
      const res = await mf.dispatchFetch("http://localhost/__bench/d1", { method: reset ? "DELETE" : "GET" });
      return (await res.json()) as Record<string, { statements: number; round_trips: number; batches: number }>;
    },
  };
}

// ---- Part 1: execution ----

interface RunFigures {
  mode: "dry" | "live";
  wall_s: number;
  requests: DestinationCounts & { total: number };
  mean_in_flight: number;
  bound_s: number;
  wall_to_bound: number;
  requests_per_record: number;
  d1_statements: number;
  d1_round_trips: number;
  d1_statements_per_1000_records: number;
  counters: Record<string, number>;
  status: string;
}

async function executionPart(bench: Bench, destination: Destination) {
  const credentialId = "cred_exec_bench";
  const connectionId = "conn_exec_bench";
  const config = {
    source: { kind: "dataset" },
    fetch: {
      mode: "list",
      url: `${destination.url}/devices`,
      format: "json",
      pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "next_cursor" },
      records_path: "devices",
      serial_path: "serial",
    },
    update: { method: "PUT", url_template: `${destination.url}/devices/{serial}`, formatter: "json" },
    mapping: [
      { source: "status", destination: "status" },
      { source: "firmware", destination: "firmware" },
    ],
    // High enough that the rate limiter never waits: 6 requests in flight at 10 ms is at most 600/s.
    limits: { requests_per_second: 1000, concurrency: CONCURRENCY, timeout_ms: 10_000, retry_attempts: 3, stop_on_failure: false },
  };
  await bench.db.batch([
    bench.db
      .prepare("INSERT INTO credentials (id, name, scheme, config_json, created_at, updated_at) VALUES (?1, 'Execution bench', 'none', '{}', 0, 0)")
      .bind(credentialId),
    bench.db
      .prepare(
        `INSERT INTO connections (id, credential_id, name, position, enabled, dry_run, config_json, version, created_at, updated_at)
         VALUES (?1, ?2, 'Loopback fleet', 1, 1, 1, ?3, 1, 0, 0)`,
      )
      .bind(connectionId, credentialId, JSON.stringify(config)),
  ]);
  const records = Array.from({ length: SERIALS }, (_, i) => ({ serial: serialOf(i), status: "online", firmware: "1.0.0" }));
  const upload = await bench.api<{ total: number }>("POST", `/api/connections/${connectionId}/records?mode=replace`, records);
  console.log(`dataset: ${upload.total} records uploaded; destination ${destination.url} with ${LATENCY_MS} ms latency`);

  const runOnce = async (mode: "dry" | "live"): Promise<RunFigures> => {
    await destination.reset();
    await bench.d1Tallies(true);
    const requestedAt = Date.now();
    const run = await bench.api<{ id: string }>("POST", "/api/runs", { credential_id: credentialId, type: "full", mode });
    // Watched through the API, as a client would; the wall time is taken from the run's own finish time,
    // so the polling interval adds nothing to it.
    let status: string;
    for (;;) {
      status = (await bench.api<{ status: string }>("GET", `/api/runs/${run.id}`)).status;
      if (status === "completed" || status === "failed" || status === "canceled") break;
      await sleep(POLL_MS);
    }
    const finished = await bench.db.prepare("SELECT finished_at FROM runs WHERE id = ?1").bind(run.id).first<{ finished_at: number }>();
    const wallMs = (finished?.finished_at ?? Date.now()) - requestedAt;
    const tallies = await bench.d1Tallies();
    const job = await bench.db
      .prepare(
        `SELECT in_scope, processed, would_update, updated, skipped_no_change, missing_source, missing_destination, failed
           FROM jobs WHERE run_id = ?1`,
      )
      .bind(run.id)
      .first<Record<string, number>>();
    const c = await destination.counts();
    const total = c.list + c.get + c.put + c.other;
    const busy = c.busy_ms;
    const boundMs = (total * LATENCY_MS) / CONCURRENCY;
    const coordinator = tallies.coordinator ?? { statements: 0, round_trips: 0, batches: 0 };
    const processed = job?.processed ?? 0;
    return {
      mode,
      wall_s: round(wallMs / 1000, 2),
      requests: { ...c, busy_ms: Math.round(busy), total },
      mean_in_flight: round(busy / wallMs, 2),
      bound_s: round(boundMs / 1000, 2),
      wall_to_bound: round(wallMs / boundMs, 2),
      requests_per_record: round(total / Math.max(1, processed), 3),
      d1_statements: coordinator.statements,
      d1_round_trips: coordinator.round_trips,
      d1_statements_per_1000_records: round((coordinator.statements * 1000) / Math.max(1, processed), 2),
      counters: job ?? {},
      status,
    };
  };

  const dry = await runOnce("dry");
  console.log(`Full Dry: ${dry.status} in ${dry.wall_s} s, ${JSON.stringify(dry.counters)}`);
  const live = await runOnce("live");
  console.log(`Full Live: ${live.status} in ${live.wall_s} s, ${JSON.stringify(live.counters)}`);
  const baseline = await plainFetchBaseline(bench, destination, live.requests.total);
  console.log(`baseline: ${live.requests.total} plain PUTs in ${baseline.wall_s} s`);
  return { serials: SERIALS, latency_ms: LATENCY_MS, concurrency: CONCURRENCY, list_page: LIST_PAGE, dry, live, baseline };
}

async function plainFetchBaseline(bench: Bench, destination: Destination, requests: number) {
  await destination.reset();
  const res = await bench.mf.dispatchFetch("http://localhost/__bench/plain-puts", {
    method: "POST",
    body: JSON.stringify({ url: destination.url, serials: SERIALS, requests, concurrency: CONCURRENCY }),
  });
  if (!res.ok) throw new Error(`plain-fetch baseline: ${res.status} ${await res.text()}`);
  const { wall_ms: wallMs } = (await res.json()) as { wall_ms: number };
  const c = await destination.counts();
  const boundMs = (requests * LATENCY_MS) / CONCURRENCY;
  return {
    requests,
    wall_s: round(wallMs / 1000, 2),
    wall_to_bound: round(wallMs / boundMs, 2),
    mean_in_flight: round(c.busy_ms / wallMs, 2),
  };
}

// ---- Part 2: listing ----

async function seedListing(bench: Bench, now: number): Promise<number> {
  const { db } = bench;
  const statements = [];
  for (let c = 0; c < CREDENTIALS; c++) {
    statements.push(
      db
        .prepare("INSERT INTO credentials (id, name, scheme, config_json, created_at, updated_at) VALUES (?1, ?2, 'none', '{}', 0, 0)")
        .bind(`cred_list_${c}`, `List bench ${c}`),
    );
    for (let k = 1; k <= JOBS_PER_RUN; k++) {
      statements.push(
        db
          .prepare(
            `INSERT INTO connections (id, credential_id, name, position, enabled, dry_run, config_json, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, 1, 1, '{}', 0, 0)`,
          )
          .bind(`conn_list_${c}_${k}`, `cred_list_${c}`, `Connection ${c}.${k}`, k),
      );
    }
  }
  await db.batch(statements);

  const span = SPAN_DAYS * DAY_MS;
  const step = span / RUNS;
  const base = now - span;
  const started = performance.now();
  for (let first = 0; first < RUNS; first += SEED_CHUNK) {
    const count = Math.min(SEED_CHUNK, RUNS - first);
    // Ids carry their creation time (worker/ledger/ids.ts), as the since filter relies on.
    const ids = Array.from({ length: count }, (_, i) => newId("run", Math.floor(base + (first + i) * step)));
    const param = JSON.stringify(ids);
    // n: the run's number; h: a spread-out 0..99 for the status; single runs are one in ten.
    const runs = `SELECT j.value AS id, j.key + ?2 AS n, ((j.key + ?2) * 2654435761) % 100 AS h, ((j.key + ?2) * 7919) % 10 = 0 AS single,
                         CAST(?3 + (j.key + ?2) * ?4 AS INTEGER) AS t FROM json_each(?1) j`;
    await db.batch([
      db
        .prepare(
          `INSERT INTO runs (id, credential_id, credential_name, type, serial, mode, "trigger", requested_by, status, connection_count,
                           connections_succeeded, connections_failed, created_at, started_at, finished_at)
         SELECT id, printf('cred_list_%d', n % ${CREDENTIALS}), printf('List bench %d', n % ${CREDENTIALS}),
                CASE WHEN single THEN 'single' ELSE 'full' END,
                CASE WHEN single THEN printf('SN-%06d', (n * 31) % ${SERIALS}) END,
                CASE WHEN (n / 3) % 2 = 0 THEN 'live' ELSE 'dry' END, 'schedule', 'scheduler',
                CASE WHEN h < 90 THEN 'completed' WHEN h < 97 THEN 'failed' ELSE 'canceled' END, ${JOBS_PER_RUN},
                CASE WHEN h < 90 THEN ${JOBS_PER_RUN} ELSE ${JOBS_PER_RUN - 1} END, CASE WHEN h >= 90 AND h < 97 THEN 1 ELSE 0 END,
                t, t, t + 60000
           FROM (${runs})`,
        )
        .bind(param, first, base, step),
      db
        .prepare(
          `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${JOBS_PER_RUN})
         INSERT INTO jobs (id, run_id, connection_id, connection_name, connection_version, position, status, mode, in_scope, processed,
                           updated, created_at, started_at, finished_at, duration_ms, error_code, error_message)
         SELECT printf('job_%s%d', substr(id, 5), i), id, printf('conn_list_%d_%d', n % ${CREDENTIALS}, i),
                printf('Connection %d.%d', n % ${CREDENTIALS}, i), 1, i,
                CASE WHEN h >= 90 AND h < 97 AND i = 1 THEN 'failed' WHEN h >= 97 AND i = 1 THEN 'canceled' ELSE 'completed' END,
                CASE WHEN (n / 3) % 2 = 0 THEN 'live' ELSE 'dry' END, 500, 500, 40, t, t, t + 60000, 60000,
                CASE WHEN h >= 90 AND h < 97 AND i = 1 THEN 'http_401' END, CASE WHEN h >= 90 AND h < 97 AND i = 1 THEN '401 Unauthorized' END
           FROM (${runs}) CROSS JOIN k`,
        )
        .bind(param, first, base, step),
      // One outcome per full run (its first job), so the serial filter has both sides of its union to search.
      db
        .prepare(
          `INSERT INTO record_outcomes (job_id, serial, run_id, action, recorded_at)
         SELECT printf('job_%s1', substr(id, 5)), printf('SN-%06d', (n * 13) % ${SERIALS}), id, 'updated', t
           FROM (${runs}) WHERE NOT single`,
        )
        .bind(param, first, base, step),
    ]);
    process.stdout.write(`\rseeded ${first + count} / ${RUNS} runs`);
  }
  await db.prepare("ANALYZE").run();
  return (performance.now() - started) / 1000;
}

async function listingPart(bench: Bench) {
  const now = Date.now();
  const seedSeconds = await seedListing(bench, now);
  console.log(`\nseeded ${RUNS} runs and ${RUNS * JOBS_PER_RUN} jobs in ${round(seedSeconds)} s`);
  const filters: Record<string, string> = {
    none: "",
    "status=failed": "status=failed",
    credential: "credential=cred_list_1",
    connection: "connection=conn_list_2_3",
    "type+mode": "type=single&mode=dry",
    "since 24h": "since=24h",
    serial: `serial=${serialOf(123 % SERIALS)}`,
  };
  const measure = async (path: string) => {
    const first = await bench.api<{ data?: unknown[] }>("GET", path);
    // Warm-up requests are not counted: a serving database has its pages cached.
    for (let i = 0; i < 3; i++) await bench.timedGet(path);
    const samples: number[] = [];
    for (let i = 0; i < LIST_ROUNDS; i++) samples.push(await bench.timedGet(path));
    return { p50: round(percentile(samples, 50)), p95: round(percentile(samples, 95)), rows: first.data?.length ?? 1 };
  };
  const figures: Record<string, { p50: number; p95: number; rows: number }> = {};
  for (const [label, query] of Object.entries(filters)) figures[label] = await measure(`/api/runs${query === "" ? "" : `?${query}`}`);
  // The floor under every figure above: the same dispatch, auth and D1 round trip for a primary-key read.
  const newest = await bench.api<{ data: Array<{ id: string }> }>("GET", "/api/runs?limit=1");
  const baseline = await measure(`/api/runs/${newest.data[0]!.id}`);
  return { runs: RUNS, jobs: RUNS * JOBS_PER_RUN, span_days: SPAN_DAYS, seed_seconds: round(seedSeconds), rounds: LIST_ROUNDS, filters: figures, baseline };
}

// ---- Report ----

function table(rows: Array<[string, string, string, string]>): void {
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) console.log(`  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("   ")}`);
}

async function main(): Promise<void> {
  const persist = mkdtempSync(join(process.env.BENCH_PERSIST_DIR ?? tmpdir(), "bench-runs-"));
  const destination = await startDestination(SERIALS);
  const bench = await startWorker(persist);
  try {
    const execution = PART === "listing" ? null : await executionPart(bench, destination);
    const listing = PART === "execution" ? null : await listingPart(bench);
    const listP95 = listing === null ? null : Math.max(...Object.values(listing.filters).map((f) => f.p95));
    const met = {
      live_within_bound: execution === null ? null : execution.live.wall_to_bound <= TARGETS.live_wall_to_bound_max,
      d1_statements:
        execution === null
          ? null
          : Math.max(execution.dry.d1_statements_per_1000_records, execution.live.d1_statements_per_1000_records) <= TARGETS.d1_statements_per_1000_records_max,
      list_p95: listP95 === null ? null : listP95 <= TARGETS.list_p95_ms_max,
    };
    const verdict = (ok: boolean | null) => (ok === null ? "-" : ok ? "met" : "missed");

    if (execution !== null) {
      console.log(`\nexecution: ${execution.serials} serials, ${LATENCY_MS} ms loopback latency, concurrency ${CONCURRENCY}, listing pages of ${LIST_PAGE}`);
      const rows: Array<[string, string, string, string]> = [["", "Full Dry", "Full Live", "target"]];
      const { dry, live } = execution;
      rows.push(["status", dry.status, live.status, ""]);
      rows.push(["wall time (s)", String(dry.wall_s), String(live.wall_s), ""]);
      rows.push([
        "destination requests (list/get/put)",
        `${dry.requests.list}/${dry.requests.get}/${dry.requests.put}`,
        `${live.requests.list}/${live.requests.get}/${live.requests.put}`,
        "",
      ]);
      rows.push(["bound requests×latency÷concurrency (s)", String(dry.bound_s), String(live.bound_s), ""]);
      rows.push([
        "wall ÷ bound",
        String(dry.wall_to_bound),
        String(live.wall_to_bound),
        `live ≤ ${TARGETS.live_wall_to_bound_max} ${verdict(met.live_within_bound)}`,
      ]);
      rows.push([
        "mean / max requests in flight",
        `${dry.mean_in_flight} / ${dry.requests.max_in_flight}`,
        `${live.mean_in_flight} / ${live.requests.max_in_flight}`,
        "",
      ]);
      const { baseline } = execution;
      rows.push(["baseline: plain fetch loop, same PUTs (s)", "", String(baseline.wall_s), ""]);
      rows.push(["baseline wall ÷ bound (in flight)", "", `${baseline.wall_to_bound} (${baseline.mean_in_flight})`, ""]);
      rows.push(["Full Live ÷ baseline", "", String(round(live.wall_s / baseline.wall_s, 2)), ""]);
      rows.push(["destination requests per record", String(dry.requests_per_record), String(live.requests_per_record), ""]);
      rows.push(["D1 statements (round trips)", `${dry.d1_statements} (${dry.d1_round_trips})`, `${live.d1_statements} (${live.d1_round_trips})`, ""]);
      rows.push([
        "D1 statements per 1,000 records",
        String(dry.d1_statements_per_1000_records),
        String(live.d1_statements_per_1000_records),
        `≤ ${TARGETS.d1_statements_per_1000_records_max} ${verdict(met.d1_statements)}`,
      ]);
      table(rows);
    }
    if (listing !== null) {
      console.log(`\nGET /api/runs over ${listing.runs} runs / ${listing.jobs} jobs (ms, ${listing.rounds} requests each, default page):`);
      const rows: Array<[string, string, string, string]> = [["filter", "p50", "p95", "rows"]];
      for (const [label, f] of Object.entries(listing.filters)) rows.push([label, String(f.p50), String(f.p95), String(f.rows)]);
      rows.push(["(baseline: GET /api/runs/{id})", String(listing.baseline.p50), String(listing.baseline.p95), String(listing.baseline.rows)]);
      table(rows);
      console.log(`  worst p95 ${listP95} ms (target < ${TARGETS.list_p95_ms_max} ms): ${verdict(met.list_p95)}`);
    }

    // A one-part run (BENCH_PART) keeps the other part's figures from the previous results file.
    const previous = PART === "all" || !existsSync(RESULTS) ? null : (JSON.parse(readFileSync(RESULTS, "utf8")) as Record<string, unknown>);
    const results = {
      bench: "runs-execution",
      node: process.version,
      execution: execution ?? previous?.execution ?? null,
      listing: listing ?? previous?.listing ?? null,
      list_p95_ms: listP95 ?? previous?.list_p95_ms ?? null,
      targets: TARGETS,
      met: {
        live_within_bound: met.live_within_bound ?? (previous?.met as typeof met | undefined)?.live_within_bound ?? null,
        d1_statements: met.d1_statements ?? (previous?.met as typeof met | undefined)?.d1_statements ?? null,
        list_p95: met.list_p95 ?? (previous?.met as typeof met | undefined)?.list_p95 ?? null,
      },
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
  } finally {
    await bench.mf.dispose();
    await destination.close();
    rmSync(persist, { recursive: true, force: true });
  }
}

// The same bundle runs as the destination's thread (see startDestination) and as the bench itself.
if (isMainThread) {
  await main();
} else if ((workerData as { role?: string } | null)?.role === "destination") {
  parentPort?.postMessage({ port: await serveDestination((workerData as { serials: number }).serials) });
}
