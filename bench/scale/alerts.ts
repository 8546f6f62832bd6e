/// <reference types="node" />
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Miniflare as MiniflareInstance } from "miniflare";
import type { D1Database } from "@cloudflare/workers-types";
import type { ScaleFigure } from "../support/figure";

// Alert events per second delivered end to end, on the real worker inside workerd (Miniflare, the engine
// `wrangler dev` uses) with the real alerts queue and channel senders, and every D1 call or batch the worker
// makes delayed by D1_DELAY_MS (as a remote D1 answers). RUNS runs change status through the run ledger's own
// writers (5 events each: run pending, running, job running, job completed, run completed), each commit
// holding back the ids of the events it wrote; then the clock starts and each run's writers send those ids to
// the alerts queue, commit by commit, as the run service and the coordinator do after each commit.
// One webhook channel hears every event; a node:http receiver on 127.0.0.1 records each arrival. The figure
// is the events delivered divided by the time from the sends to the last arrival. Writing is the runs' own
// cost and is reported apart, with D1 round trips per event and this machine's D1 time per call (local D1
// answers one call at a time, so on a loaded machine it, not the added latency, bounds the figure).
// Alone: `npm exec -- node bench/scale/alerts.ts`; other sizes: BENCH_ALERT_RUNS=400.
const RUNS = Number(process.env.BENCH_ALERT_RUNS ?? 200);
const EVENTS_PER_RUN = 5;
const D1_DELAY_MS = Number(process.env.BENCH_ALERT_D1_DELAY_MS ?? 10);
const TARGET_PER_S = 100;
const POLL_MS = 100;
const TIMEOUT_MS = 10 * 60_000;
const QUEUE = "outbound-sync-alerts";
// Resolved at run time from node_modules: bundling these into the bench would break their paths to binaries.
const MINIFLARE_MODULE = "miniflare";
const ESBUILD_MODULE = "esbuild";
const VITEST_PLUGIN_MODULE = "@cloudflare/vitest-plugin";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

// The worker as it is, with LEDGER slowed for everyone who reads it (API, queue consumer, channel senders)
// and one bench route that plays runs through the run ledger's writers.
const WORKER_SOURCE = `
import worker, { AlertChannelSender as RealSender, LiveHub, RunCoordinator, SandboxFleet } from "./worker/index";
import { enqueueAlertEvents } from "./worker/alerts/alert-queue";
import { newId } from "./worker/ledger/ids";
import { commit, insertRun, jobFinishStatements, jobStartStatements, promoteRun, runFinishStatements } from "./worker/ledger/run-writes";

const DELAY_MS = ${D1_DELAY_MS};
// Round trips to D1 (a batch counts one), so the figure can be read against this machine's D1 speed.
let calls = 0;
const pause = () => {
  calls += 1;
  return new Promise((resolve) => setTimeout(resolve, DELAY_MS));
};

function slowStatement(statement) {
  for (const method of ["run", "all", "first", "raw"]) {
    const original = statement[method].bind(statement);
    statement[method] = async (...args) => {
      await pause();
      return original(...args);
    };
  }
  const bind = statement.bind.bind(statement);
  statement.bind = (...values) => slowStatement(bind(...values));
  return statement;
}

function slowD1(db) {
  return new Proxy(db, {
    get(target, property) {
      if (property === "prepare") return (sql) => slowStatement(target.prepare(sql));
      if (property === "batch") return async (statements) => { await pause(); return target.batch(statements); };
      if (property === "exec") return async (sql) => { await pause(); return target.exec(sql); };
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
const slow = (env) => ({ ...env, LEDGER: slowD1(env.LEDGER) });

export class AlertChannelSender extends RealSender {
  constructor(ctx, env) {
    super(ctx, slow(env));
  }
}
export { LiveHub, RunCoordinator, SandboxFleet };

async function playRun(env, index) {
  const db = env.LEDGER;
  let now = Date.now();
  const runId = newId("run", now);
  const credentialId = "cred_alerts_bench_" + index;
  const job = { id: newId("job", now), connection_id: "conn_alerts_bench_" + index, connection_name: "Fleet " + index, connection_version: 1, position: 1, mode: "live" };
  const run = { id: runId, credential_id: credentialId, credential_name: "Alerts bench", type: "full", serial: null, mode: "live", trigger: "manual",
    requested_by: "bench", scope_json: null, reset: false, rerun_of: null, idempotency_key: null, created_at: now };
  // Each writer's commit tells it the events it wrote: what it puts on the alerts queue afterwards.
  const sends = [];
  sends.push((await insertRun(db, run, [job])).eventIds);
  sends.push((await promoteRun(db, runId, credentialId, ++now)).eventIds);
  const identity = { id: job.id, run_id: runId, connection_id: job.connection_id, connection_name: job.connection_name };
  sends.push(await commit(db, jobStartStatements(db, { job: identity, now: ++now, connectionVersion: 1, inScope: 3, mode: "live", resetConnection: false })));
  sends.push(await commit(db, jobFinishStatements(db, { job: identity, from: "running", status: "completed", now: ++now, startedAt: now - 1, counters: null, error: null, connection: null })));
  sends.push(await commit(db, runFinishStatements(db, { run: { id: runId, credential_id: credentialId }, status: "completed", now: ++now, startedAt: now - 3, succeeded: 1, failed: 0, errorSummary: null })));
  return sends;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    // Writes the runs' events and holds their sends back, so delivery is timed from events already written.
    if (url.pathname === "/__bench/runs") {
      const { count } = await request.json();
      const slowEnv = slow(env);
      const runs = await Promise.all(Array.from({ length: count }, (_, i) => playRun(slowEnv, i)));
      return Response.json({ runs });
    }
    // What each run's writers do after each commit: send the events it wrote to the alerts queue, in order.
    if (url.pathname === "/__bench/enqueue") {
      const { runs } = await request.json();
      const slowEnv = slow(env);
      await Promise.all(runs.map(async (sends) => { for (const ids of sends) await enqueueAlertEvents(slowEnv, ids); }));
      return Response.json({ enqueued: runs.length });
    }
    if (url.pathname === "/__bench/d1") {
      if (request.method === "DELETE") calls = 0;
      return Response.json({ calls });
    }
    // This machine's own D1 speed with nothing added: one round trip after another.
    if (url.pathname === "/__bench/probe") {
      const started = Date.now();
      for (let i = 0; i < 100; i++) await env.LEDGER.prepare("SELECT 1").first();
      return Response.json({ ms_per_call: (Date.now() - started) / 100 });
    }
    return worker.fetch(request, slow(env), ctx);
  },
  queue: (batch, env, ctx) => worker.queue(batch, slow(env), ctx),
  scheduled: (controller, env, ctx) => worker.scheduled(controller, slow(env), ctx),
};
`;

interface Receipt {
  webhookId: string;
  occurredAt: number;
  receivedAt: number;
}

async function startReceiver(): Promise<{ url: string; receipts: Map<string, Receipt>; requests(): number; close(): Promise<void> }> {
  const receipts = new Map<string, Receipt>();
  let requests = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests += 1;
      const webhookId = String(req.headers["webhook-id"] ?? "");
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { occurred_at: string };
      if (!receipts.has(webhookId)) receipts.set(webhookId, { webhookId, occurredAt: Date.parse(body.occurred_at), receivedAt: Date.now() });
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    receipts,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function startWorker(): Promise<{ mf: MiniflareInstance; db: D1Database }> {
  const { build } = (await import(ESBUILD_MODULE)) as typeof import("esbuild");
  const bundled = await build({
    stdin: { contents: WORKER_SOURCE, resolveDir: process.cwd(), sourcefile: "alerts-bench-worker.ts", loader: "ts" },
    write: false,
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser", "import"],
    external: ["cloudflare:*", "node:*"],
    logLevel: "warning",
  });
  const name = "alerts-bench";
  const doBinding = (exportName: string) => ({ type: "durable-object" as const, worker: name, exportName });
  const { Miniflare } = (await import(MINIFLARE_MODULE)) as typeof import("miniflare");
  // In-memory storage: what is measured is the added latency per D1 call, not this machine's fsync.
  const mf: MiniflareInstance = new Miniflare({
    workers: [
      {
        config: {
          name,
          compatibilityDate: "2026-11-01",
          compatibilityFlags: ["nodejs_compat"],
          manifest: { mainModule: "worker.mjs", modules: { "worker.mjs": { type: "esm", contents: bundled.outputFiles[0]?.text ?? "" } } },
          env: {
            LEDGER: { type: "d1", id: "bench-ledger" },
            ALERT_QUEUE: { type: "queue", name: QUEUE },
            RUN_COORDINATOR: doBinding("RunCoordinator"),
            SANDBOX_FLEET: doBinding("SandboxFleet"),
            LIVE_HUB: doBinding("LiveHub"),
            ALERT_SENDER: doBinding("AlertChannelSender"),
            SANDBOX: { type: "text", value: "off" },
            DEMO_SEED: { type: "text", value: "off" },
            // Development rules for outbound URLs: plain http to the loopback receiver is allowed.
            ENVIRONMENT: { type: "text", value: "development" },
            SECRETS_KEY: { type: "text", value: randomBytes(32).toString("base64") },
          },
          // As wrangler.toml's consumer.
          triggers: [{ type: "queue", name: QUEUE, maxBatchSize: 50, maxBatchTimeout: 1, maxRetries: 10 }],
          exports: {
            RunCoordinator: { type: "durable-object", storage: "sqlite" },
            SandboxFleet: { type: "durable-object", storage: "sqlite" },
            LiveHub: { type: "durable-object", storage: "sqlite" },
            AlertChannelSender: { type: "durable-object", storage: "sqlite" },
          },
        },
      },
    ],
  } as ConstructorParameters<typeof Miniflare>[0]);
  const db = (await mf.getD1Database("LEDGER")) as unknown as D1Database;
  const { readD1Migrations } = (await import(VITEST_PLUGIN_MODULE)) as typeof import("@cloudflare/vitest-plugin");
  for (const migration of await readD1Migrations("migrations")) {
    for (const query of migration.queries) await db.prepare(query).run();
  }
  return { mf, db };
}

// An admin token written straight into the ledger (same hash as worker/auth/tokens.ts).
async function adminToken(db: D1Database): Promise<string> {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  const token = `osk_a_${Array.from(randomBytes(32), (b) => alphabet[b % 32]).join("")}`;
  await db
    .prepare("INSERT INTO api_tokens (id, name, role, token_hash, token_prefix, created_by, created_at) VALUES (?1, 'bench', 'admin', ?2, ?3, 'bench', ?4)")
    .bind(`tok_alerts_bench_${Date.now()}`, createHash("sha256").update(token).digest("hex"), token.slice(0, 12), Date.now())
    .run();
  return token;
}

export async function measure(): Promise<ScaleFigure[]> {
  const receiver = await startReceiver();
  const { mf, db } = await startWorker();
  try {
    const token = await adminToken(db);
    const created = await mf.dispatchFetch("http://localhost/api/alerts/channels", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Bench receiver", kind: "webhook", url: receiver.url }),
    });
    if (created.status !== 201) throw new Error(`channel not created: ${created.status} ${await created.text()}`);
    await created.text();
    // The channel hears what happens after its creation, to the millisecond.
    await sleep(5);

    const probe = (await (await mf.dispatchFetch("http://localhost/__bench/probe")).json()) as { ms_per_call: number };
    const expected = RUNS * EVENTS_PER_RUN;
    const writing = Date.now();
    const played = await mf.dispatchFetch("http://localhost/__bench/runs", { method: "POST", body: JSON.stringify({ count: RUNS }) });
    const { runs } = (await played.json()) as { runs: string[][][] };
    const written = Date.now();
    await (await mf.dispatchFetch("http://localhost/__bench/d1", { method: "DELETE" })).text();
    const started = Date.now();
    const enqueued = await mf.dispatchFetch("http://localhost/__bench/enqueue", { method: "POST", body: JSON.stringify({ runs }) });
    await enqueued.text();
    for (;;) {
      if (receiver.receipts.size >= expected) break;
      if (Date.now() - started > TIMEOUT_MS) throw new Error(`only ${receiver.receipts.size} of ${expected} events arrived in ${TIMEOUT_MS / 1000} s`);
      await sleep(POLL_MS);
    }
    const receipts = [...receiver.receipts.values()];
    const lastArrival = Math.max(...receipts.map((r) => r.receivedAt));
    const seconds = (lastArrival - started) / 1000;
    const perSecond = round(expected / seconds);
    const latencies = receipts.map((r) => r.receivedAt - r.occurredAt);
    const { calls } = (await (await mf.dispatchFetch("http://localhost/__bench/d1")).json()) as { calls: number };
    const pending = await db.prepare("SELECT COUNT(*) AS n FROM events WHERE dispatched_at IS NULL").first<{ n: number }>();
    const figure: ScaleFigure = {
      figure: `alert events delivered end to end (${RUNS} concurrent runs, ${D1_DELAY_MS} ms added D1 latency)`,
      value: perSecond,
      unit: "events/s",
      target: `≥ ${TARGET_PER_S}`,
      met: perSecond >= TARGET_PER_S,
      detail: {
        events: expected,
        runs: RUNS,
        channels: 1,
        d1_delay_ms_per_call: D1_DELAY_MS,
        writing_s: round((written - writing) / 1000, 2),
        send_to_last_arrival_s: round(seconds, 2),
        d1_round_trips_per_event: round(calls / expected, 2),
        local_d1_ms_per_call: probe.ms_per_call,
        // What this machine's D1 alone would allow, one call after another: the figure's ceiling here.
        local_d1_bound_events_per_s: round(1000 / (probe.ms_per_call * Math.max(calls / expected, 1))),
        receiver_requests: receiver.requests(),
        duplicate_requests: receiver.requests() - receiver.receipts.size,
        latency_p50_ms: percentile(latencies, 50),
        latency_p95_ms: percentile(latencies, 95),
        undispatched_after: pending?.n ?? null,
      },
    };
    return [figure];
  } finally {
    await mf.dispose();
    await receiver.close();
  }
}

if (process.argv[1]?.endsWith(join("bench", "scale", "alerts.ts"))) {
  const figures = await measure();
  for (const figure of figures) {
    console.log(`${figure.figure}: ${figure.value} ${figure.unit} (target ${figure.target}) ${figure.met ? "met" : "NOT met"}`);
    console.log(JSON.stringify(figure.detail));
  }
}
