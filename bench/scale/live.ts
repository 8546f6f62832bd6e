/// <reference types="node" />
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { Miniflare as MiniflareInstance } from "miniflare";
import type { D1Database } from "@cloudflare/workers-types";
import { newId } from "../../worker/ledger/ids";
import type { LiveServerMessage } from "../../worker/live/protocol";
import type { JobSummary, RunSummary } from "../../worker/schemas/runs";
import type { ScaleFigure } from "../support/figure";

// Live delay with RUNS concurrent runs and DASHBOARDS open dashboards, the real worker in workerd (Miniflare).
// Each run is one credential's (at most one active run per credential) with one job; a BenchPublisher Durable
// Object per run (bench/support/live-feed-worker.mjs) stands in for its coordinator and hands progress to the
// coordinators' real publisher every 250 ms (the coordinator's throttle) for TICKS ticks: LivePublisher →
// publishLive → the credential's LiveHub and, for status changes, the runs hub. Every dashboard opens the runs
// feed and follows FOLLOWS credentials (GET /api/live?credential=), so each run is watched by
// DASHBOARDS * FOLLOWS / RUNS dashboards. The delay of a message is from its hand-over (stamped inside workerd)
// to its arrival on a dashboard's socket in Node (same machine clock).
// Durable Object storage is in memory unless BENCH_LIVE_STORAGE=disk.
// Smaller: BENCH_LIVE_RUNS=50 BENCH_LIVE_DASHBOARDS=10 npm run bench -- live-feed
const RUNS = Number(process.env.BENCH_LIVE_RUNS ?? 200);
const DASHBOARDS = Number(process.env.BENCH_LIVE_DASHBOARDS ?? 50);
const FOLLOWS = Number(process.env.BENCH_LIVE_FOLLOWS ?? 8);
const TICKS = Number(process.env.BENCH_LIVE_TICKS ?? 40);
const EVERY_MS = 250;
// Runs start spread over this window, as runs of a fleet do, rather than all in the same millisecond.
const START_SPREAD_MS = 2_000;
const TARGET_P95_MS = 1_000;
const STORAGE = process.env.BENCH_LIVE_STORAGE === "disk" ? "disk" : "memory";
const MINIFLARE_MODULE = "miniflare";
const ESBUILD_MODULE = "esbuild";
const VITEST_PLUGIN_MODULE = "@cloudflare/vitest-plugin";

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

async function startWorker(persist: string | null): Promise<{ mf: MiniflareInstance; url: URL; token: string }> {
  const { build } = (await import(ESBUILD_MODULE)) as typeof import("esbuild");
  const bundled = await build({
    entryPoints: ["bench/support/live-feed-worker.mjs"],
    write: false,
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser", "import"],
    external: ["cloudflare:*", "node:*"],
    logLevel: "warning",
  });
  const name = "live-feed-bench";
  const doBinding = (exportName: string) => ({ type: "durable-object" as const, worker: name, exportName });
  const sqlite = { type: "durable-object", storage: "sqlite" } as const;
  const { Miniflare } = (await import(MINIFLARE_MODULE)) as typeof import("miniflare");
  const mf: MiniflareInstance = new Miniflare({
    ...(persist === null ? {} : { resourcePersistencePath: persist }),
    workers: [
      {
        config: {
          name,
          compatibilityDate: "2026-11-01",
          compatibilityFlags: ["nodejs_compat"],
          manifest: { mainModule: "worker.mjs", modules: { "worker.mjs": { type: "esm", contents: bundled.outputFiles[0]?.text ?? "" } } },
          env: {
            LEDGER: { type: "d1", id: "live-bench-ledger" },
            RUN_COORDINATOR: doBinding("RunCoordinator"),
            SANDBOX_FLEET: doBinding("SandboxFleet"),
            LIVE_HUB: doBinding("LiveHub"),
            ALERT_SENDER: doBinding("AlertChannelSender"),
            BENCH_PUBLISHER: doBinding("BenchPublisher"),
            SANDBOX: { type: "text", value: "off" },
            DEMO_SEED: { type: "text", value: "off" },
          },
          exports: { RunCoordinator: sqlite, SandboxFleet: sqlite, LiveHub: sqlite, AlertChannelSender: sqlite, BenchPublisher: sqlite },
        },
      },
    ],
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = await mf.ready;
  const db = (await mf.getD1Database("LEDGER")) as unknown as D1Database;
  const { readD1Migrations } = (await import(VITEST_PLUGIN_MODULE)) as typeof import("@cloudflare/vitest-plugin");
  for (const migration of await readD1Migrations("migrations")) {
    for (const query of migration.queries) await db.prepare(query).run();
  }
  // A viewer token written straight into the ledger (same hash as worker/auth/tokens.ts).
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  const token = `osk_v_${Array.from(randomBytes(32), (b) => alphabet[b % 32]).join("")}`;
  await db
    .prepare(
      "INSERT INTO api_tokens (id, name, role, token_hash, token_prefix, created_by, created_at) VALUES (?1, 'live-bench', 'viewer', ?2, ?3, 'bench', ?4)",
    )
    .bind(newId("tok"), createHash("sha256").update(token).digest("hex"), token.slice(0, 12), Date.now())
    .run();
  return { mf, url, token };
}

function synthetic(i: number, now: number): { run: RunSummary; job: JobSummary } {
  const created = new Date(now).toISOString();
  const runId = newId("run", now);
  const run: RunSummary = {
    id: runId,
    credential_id: `cred_bench_${String(i).padStart(4, "0")}`,
    credential_name: `Bench credential ${i}`,
    type: "full",
    serial: null,
    mode: "dry",
    trigger: "schedule",
    requested_by: "scheduler",
    status: "pending",
    connection_ids: null,
    reset: false,
    rerun_of: null,
    plan_run_id: null,
    connection_count: 1,
    connections_succeeded: 0,
    connections_failed: 0,
    failed_records: 0,
    status_detail: null,
    cancel_requested_at: null,
    created_at: created,
    started_at: created,
    finished_at: null,
    duration_ms: null,
    eta: null,
    waiting: null,
  };
  const job: JobSummary = {
    id: newId("job", now),
    run_id: runId,
    connection_id: `conn_bench_${i}`,
    connection_name: `Bench connection ${i}`,
    connection_version: 1,
    position: 1,
    mode: "dry",
    status: "pending",
    in_scope: TICKS,
    incremental_since: null,
    processed: 0,
    would_update: 0,
    updated: 0,
    skipped_rule: 0,
    skipped_no_change: 0,
    missing_source: 0,
    missing_destination: 0,
    failed: 0,
    failed_records: 0,
    status_detail: null,
    drifted: 0,
    verified: 0,
    verify_mismatch: 0,
    bytes_sent: 0,
    bytes_received: 0,
    error: null,
    diagnoses: [],
    created_at: created,
    started_at: created,
    finished_at: null,
    duration_ms: null,
    waiting: null,
    eta: null,
  };
  return { run, job };
}

interface Tally {
  progress: number[];
  status: number[];
  regressions: number;
  sockets: number;
  snapshots: number;
}

function openSocket(url: URL, token: string, path: string, tally: Tally): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(new URL(path, url.href.replace(/^http/, "ws")), ["bearer", token]);
    const latest = new Map<string, number>();
    socket.addEventListener("message", (event) => {
      const now = Date.now();
      const message = JSON.parse(String(event.data)) as LiveServerMessage;
      if (message.type === "snapshot") {
        tally.snapshots += 1;
        resolve(socket);
      } else if (message.type === "job" && message.job.bytes_sent > 0) {
        tally.progress.push(now - message.job.bytes_sent);
        if (message.job.processed < (latest.get(message.job.id) ?? 0)) tally.regressions += 1;
        latest.set(message.job.id, message.job.processed);
      } else if (message.type === "run" && message.run.finished_at !== null) {
        tally.status.push(now - Date.parse(message.run.finished_at));
      }
    });
    socket.addEventListener("error", () => reject(new Error(`live socket ${path} failed`)));
    tally.sockets += 1;
  });
}

export async function measure(): Promise<ScaleFigure[]> {
  // Storage in memory by default: locally every Durable Object commit is an fsync on a disk other work shares,
  // which production's replicated storage does not pay per write. BENCH_LIVE_STORAGE=disk measures with it.
  const persist = STORAGE === "disk" ? mkdtempSync(join(tmpdir(), "live-feed-bench-")) : null;
  const { mf, url, token } = await startWorker(persist);
  const sockets: WebSocket[] = [];
  try {
    const now = Date.now();
    const plans = Array.from({ length: RUNS }, (_, i) => synthetic(i, now));
    const tally: Tally = { progress: [], status: [], regressions: 0, sockets: 0, snapshots: 0 };
    // Dashboard d follows credentials d*FOLLOWS … (mod RUNS): every run is watched, each about equally often.
    for (let d = 0; d < DASHBOARDS; d++) {
      sockets.push(await openSocket(url, token, "/api/live", tally));
      for (let f = 0; f < FOLLOWS; f++) {
        const { run } = plans[(d * FOLLOWS + f) % RUNS]!;
        sockets.push(await openSocket(url, token, `/api/live?credential=${run.credential_id}`, tally));
      }
    }
    const startAt = Date.now() + 1_000;
    const started = performance.now();
    const loadBefore = loadavg()[0] ?? 0;
    await Promise.all(
      plans.map(async ({ run, job }, i) => {
        const plan = { run, job, ticks: TICKS, everyMs: EVERY_MS, startAt: startAt + Math.round((i * START_SPREAD_MS) / RUNS) };
        const res = await fetch(new URL("/__bench/drive", url), { method: "POST", body: JSON.stringify(plan) });
        if (!res.ok) throw new Error(`drive ${run.id}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }),
    );
    // The last messages are in flight when the publishers return: wait until nothing arrived for a second.
    let seen = -1;
    while (seen !== tally.progress.length + tally.status.length) {
      seen = tally.progress.length + tally.status.length;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const wallMs = performance.now() - started;
    const loadAfter = loadavg()[0] ?? 0;
    // What the publishers' timers alone take; a wall far above it means the machine, not the feed, was the limit.
    const scheduleMs = 1_000 + START_SPREAD_MS + (TICKS + 1) * EVERY_MS;
    const expectedProgress = RUNS * (TICKS + 1) * ((DASHBOARDS * FOLLOWS) / RUNS);
    const p95 = percentile(tally.progress, 95);
    return [
      {
        figure: `live delay p95 (${RUNS} concurrent runs, ${DASHBOARDS} open dashboards)`,
        value: round(p95),
        unit: "ms",
        target: `≤ ${TARGET_P95_MS}`,
        met: p95 <= TARGET_P95_MS && tally.progress.length > 0,
        detail: {
          how: "synthetic progress through the coordinators' real publish path (LivePublisher → publishLive → LiveHub per credential + runs hub), one BenchPublisher Durable Object per run, no real syncs",
          sharding: "one LiveHub per credential (job progress), one runs hub (run status changes only)",
          storage: STORAGE,
          runs: RUNS,
          dashboards: DASHBOARDS,
          sockets: tally.sockets,
          follows_per_dashboard: FOLLOWS,
          progress_every_ms: EVERY_MS,
          ticks_per_run: TICKS,
          progress_messages_received: tally.progress.length,
          progress_messages_expected: Math.round(expectedProgress),
          progress_p50_ms: round(percentile(tally.progress, 50)),
          progress_p99_ms: round(percentile(tally.progress, 99)),
          progress_max_ms: round(Math.max(0, ...tally.progress)),
          status_messages_received: tally.status.length,
          status_p95_ms: round(percentile(tally.status, 95)),
          out_of_order: tally.regressions,
          wall_ms: Math.round(wallMs),
          schedule_ms: scheduleMs,
          cpus: availableParallelism(),
          load_1min_before: round(loadBefore, 2),
          load_1min_after: round(loadAfter, 2),
        },
      },
    ];
  } finally {
    for (const socket of sockets) socket.close(1000, "bench done");
    await mf.dispose();
    if (persist !== null) rmSync(persist, { recursive: true, force: true });
  }
}
