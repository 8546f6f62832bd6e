/// <reference types="node" />
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { gzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
// @ts-expect-error -- plain ESM script without type declarations
import { createApiToken as createTokenInLedger } from "../scripts/local-api-tokens.mjs";
import { newId } from "../worker/ledger/ids";
import { DEMO_CREDENTIAL } from "../worker/sandbox/demo-connections";
import { SESSION_STORAGE_KEY, type StoredSession } from "../web/src/lib/session-token";

// The dashboard as a browser sees it, against `wrangler dev` with a seeded local D1:
// 1. initial JavaScript (gzip) of dist/web; 2. /jobs navigation to the first folder row with RUNS runs;
// 3. delay from the hub publishing a job's progress to the page's "X of N in scope" showing it.
// Smaller: BENCH_RUNS=20000 npm run bench -- dashboard
const RUNS = Number(process.env.BENCH_RUNS ?? 200_000);
const JOBS_PER_RUN = 5;
const CREDENTIALS = 4;
const NAVIGATIONS = 5;
const SPAN_MS = 60 * 86_400_000;
const TARGETS = { initial_js_gzip_kb_max: 100, first_rows_ms_max: 1000, live_delay_ms_max: 500 } as const;
const RESULTS = "bench/results/dashboard.json";
const PLAYWRIGHT_MODULE = "playwright-core";
const CHROMIUM = "/usr/bin/chromium";
const READY_TIMEOUT_MS = 90_000;

const createApiToken = createTokenInLedger as (
  request: { role: "admin"; name: string; createdBy: string },
  target: { root: string; persistTo: string },
) => { token: string };

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

// npx puts node_modules/.bin (Node 24) first, which wrangler needs.
const toolEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${join(process.cwd(), "node_modules/.bin")}:${process.env.PATH ?? ""}`,
  CI: "1",
  WRANGLER_SEND_METRICS: "false",
});

function runTool(args: string[]): void {
  const result = spawnSync("npx", args, { env: toolEnv(), encoding: "utf8" });
  if (result.status !== 0) throw new Error(`npx ${args.join(" ")} exited with ${result.status}:\n${(result.stdout + result.stderr).slice(-3000)}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no free port"))));
    });
  });
}

// ---- 1. Initial JavaScript ----

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function initialJavaScript() {
  const index = "dist/web/index.html";
  let fresh: boolean;
  try {
    fresh = statSync(index).mtimeMs > Math.max(newestMtime("web"), statSync("vite.config.ts").mtimeMs);
  } catch {
    fresh = false;
  }
  if (!fresh) runTool(["vite", "build", "--logLevel", "warn"]);
  const html = readFileSync(index, "utf8");
  // The entry module and what it preloads are all fetched before the app can render.
  const srcs = new Set<string>();
  for (const match of html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)) srcs.add(match[1]!);
  for (const match of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) srcs.add(match[1]!);
  const files = [...srcs].map((src) => {
    const raw = readFileSync(join("dist/web", src.replace(/^\//, "")));
    return { file: src, bytes: raw.length, gzip_bytes: gzipSync(raw, { level: 9 }).length };
  });
  const gzip = files.reduce((sum, f) => sum + f.gzip_bytes, 0);
  return { rebuilt: !fresh, files, gzip_kb: round(gzip / 1024, 1) };
}

// ---- 2. Seeding the ledger wrangler dev will open ----

function ledgerFile(persist: string): string {
  const dir = join(persist, "v3", "d1", "miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
  if (files.length !== 1) throw new Error(`expected one D1 file in ${dir}, found ${files.join(", ")}`);
  return join(dir, files[0]!);
}

// Same shape as the runs-execution listing seed: RUNS runs over 60 days, 5 jobs each, a tenth failed or canceled.
function seedRuns(persist: string): number {
  const started = performance.now();
  const db = new DatabaseSync(ledgerFile(persist));
  db.exec("BEGIN");
  const credential = db.prepare("INSERT INTO credentials (id, name, scheme, config_json, created_at, updated_at) VALUES (?, ?, 'none', '{}', 0, 0)");
  const connection = db.prepare(
    "INSERT INTO connections (id, credential_id, name, position, enabled, dry_run, config_json, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 1, '{}', 0, 0)",
  );
  for (let c = 0; c < CREDENTIALS; c++) {
    credential.run(`cred_dash_${c}`, `Dashboard bench ${c}`);
    for (let k = 1; k <= JOBS_PER_RUN; k++) connection.run(`conn_dash_${c}_${k}`, `cred_dash_${c}`, `Connection ${c}.${k}`, k);
  }
  const run = db.prepare(
    `INSERT INTO runs (id, credential_id, credential_name, type, mode, "trigger", requested_by, status, connection_count,
                       connections_succeeded, connections_failed, created_at, started_at, finished_at)
     VALUES (?, ?, ?, 'full', ?, 'schedule', 'scheduler', ?, ${JOBS_PER_RUN}, ?, ?, ?, ?, ?)`,
  );
  const job = db.prepare(
    `INSERT INTO jobs (id, run_id, connection_id, connection_name, connection_version, position, status, mode, in_scope, processed,
                       updated, created_at, started_at, finished_at, duration_ms)
     VALUES (?, ?, ?, ?, 1, ?, ?, ?, 500, 500, 40, ?, ?, ?, 60000)`,
  );
  const base = Date.now() - SPAN_MS;
  for (let n = 0; n < RUNS; n++) {
    const t = Math.floor(base + (n * SPAN_MS) / RUNS);
    const id = newId("run", t);
    const h = (n * 2654435761) % 100;
    const status = h < 90 ? "completed" : h < 97 ? "failed" : "canceled";
    const mode = Math.floor(n / 3) % 2 === 0 ? "live" : "dry";
    const c = n % CREDENTIALS;
    run.run(id, `cred_dash_${c}`, `Dashboard bench ${c}`, mode, status, h < 90 ? JOBS_PER_RUN : JOBS_PER_RUN - 1, status === "failed" ? 1 : 0, t, t, t + 60000);
    for (let k = 1; k <= JOBS_PER_RUN; k++) {
      const jobStatus = k === 1 && status !== "completed" ? status : "completed";
      job.run(`job_${id.slice(4)}${k}`, id, `conn_dash_${c}_${k}`, `Connection ${c}.${k}`, k, jobStatus, mode, t, t, t + 60000);
    }
  }
  db.exec("COMMIT");
  db.exec("ANALYZE");
  db.close();
  return (performance.now() - started) / 1000;
}

// ---- The server ----

interface Server {
  child: ChildProcess;
  baseURL: string;
  output: () => string;
}

async function startServer(persist: string): Promise<Server> {
  const port = await freePort();
  const inspector = await freePort();
  const child = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(inspector),
      "--persist-to",
      persist,
      "--var",
      "SANDBOX:on",
      "--var",
      "DEMO_SEED:on",
      "--var",
      "ENVIRONMENT:development",
      "--show-interactive-dev-session=false",
    ],
    { env: toolEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let log = "";
  const collect = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000));
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const baseURL = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${log}`);
    const ok = await fetch(`${baseURL}/api/health`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`wrangler dev not ready in ${READY_TIMEOUT_MS / 1000} s:\n${log}`);
    await sleep(500);
  }
  return { child, baseURL, output: () => log };
}

// The whole process group: npx, wrangler and workerd beneath it.
async function stopServer(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(-pid, "SIGTERM");
  const force = setTimeout(() => process.kill(-pid, "SIGKILL"), 5000);
  await exited;
  clearTimeout(force);
}

async function signedInPage(browser: Browser, baseURL: string, token: string): Promise<Page> {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const session: StoredSession = { token, role: "admin", name: "bench" };
  await page.addInitScript(({ key, value }) => sessionStorage.setItem(key, value), { key: SESSION_STORAGE_KEY, value: JSON.stringify(session) });
  return page;
}

// ---- 2. First folder rows ----

async function firstRows(browser: Browser, baseURL: string, token: string) {
  const samples: number[] = [];
  // One unmeasured navigation: wrangler dev bundles and the D1 file's pages are read on first use.
  for (let i = 0; i <= NAVIGATIONS; i++) {
    const page = await signedInPage(browser, baseURL, token);
    const started = performance.now();
    await page.goto("/jobs");
    await page.getByRole("article").first().waitFor({ state: "visible", timeout: 30_000 });
    const ms = performance.now() - started;
    if (i > 0) samples.push(ms);
    await page.context().close();
  }
  return { navigations: NAVIGATIONS, samples_ms: samples.map((s) => round(s)), median_ms: round(percentile(samples, 50)) };
}

// ---- 3. Live progress delay ----

interface LiveJob {
  id: string;
  run_id: string;
  processed: number;
  in_scope: number | null;
}

async function liveDelay(browser: Browser, baseURL: string, token: string) {
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${baseURL}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  };

  // Live messages carry no timestamp: a Node listener's receive time stands in for the publish time.
  const published = new Map<number, number>();
  const jobs = new Map<string, LiveJob>();
  let runId = "";
  const socket = new WebSocket(`${baseURL.replace("http", "ws")}/api/live`, ["bearer", token]);
  socket.addEventListener("message", (event) => {
    const at = Date.now();
    const message = JSON.parse(String(event.data)) as { type: string; job?: LiveJob };
    if (message.type !== "job" || message.job === undefined || message.job.run_id !== runId) return;
    jobs.set(message.job.id, message.job);
    // The run row shows the sum over its jobs.
    const processed = [...jobs.values()].reduce((sum, j) => sum + j.processed, 0);
    if (!published.has(processed)) published.set(processed, at);
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    socket.addEventListener("error", () => reject(new Error("live socket failed")));
  });

  const page = await signedInPage(browser, baseURL, token);
  const shown = new Map<number, number>();
  await page.exposeFunction("benchProgressShown", (text: string, at: number) => {
    const match = /^([\d,]+) of/.exec(text);
    const value = match === null ? NaN : Number(match[1]!.replace(/,/g, ""));
    if (!Number.isNaN(value) && !shown.has(value)) shown.set(value, at);
  });
  await page.goto("/jobs");
  await page.getByRole("article").first().waitFor({ state: "visible", timeout: 30_000 });
  // Watches every progress bar's aria-valuetext; the clock is the page's wall clock, the same one Node reads.
  await page.evaluate(() => {
    const report = (window as unknown as { benchProgressShown: (text: string, at: number) => void }).benchProgressShown;
    const observer = new MutationObserver((mutations) => {
      const at = performance.timeOrigin + performance.now();
      for (const mutation of mutations) {
        const nodes = mutation.type === "attributes" ? [mutation.target] : [...mutation.addedNodes];
        for (const node of nodes) {
          if (!(node instanceof Element)) continue;
          const bars = node.matches('[role="progressbar"]') ? [node] : [...node.querySelectorAll('[role="progressbar"]')];
          for (const bar of bars) {
            const text = bar.getAttribute("aria-valuetext");
            if (
              text !== null &&
              bar.closest("article")?.querySelector('[id^="run-"][id$="-title"]')?.id === (window as unknown as { benchRun: string }).benchRun
            )
              report(text, at);
          }
        }
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-valuetext"] });
  });

  await api("POST", "/sandbox/_reset");
  const run = await api<{ id: string }>("POST", "/api/runs", { credential_id: DEMO_CREDENTIAL.id, type: "full", mode: "dry" });
  runId = run.id;
  await page.evaluate((id) => ((window as unknown as { benchRun: string }).benchRun = `run-${id}-title`), run.id);
  for (let waited = 0; waited < 120_000; waited += 250) {
    const detail = await api<{ status: string }>("GET", `/api/runs/${run.id}`);
    if (detail.status === "completed" || detail.status === "failed" || detail.status === "canceled") break;
    await sleep(250);
  }
  await sleep(1000);
  socket.close();
  await page.context().close();

  const delays: number[] = [];
  for (const [value, at] of published) {
    const seen = shown.get(value);
    if (value > 0 && seen !== undefined) delays.push(Math.max(0, seen - at));
  }
  if (delays.length === 0) throw new Error(`no progress value reached the page (published ${published.size}, shown ${shown.size})`);
  return {
    run_id: run.id,
    published_updates: published.size,
    matched_updates: delays.length,
    median_ms: round(percentile(delays, 50)),
    p95_ms: round(percentile(delays, 95)),
    max_ms: round(Math.max(...delays)),
  };
}

// ---- Report ----

function table(rows: Array<[string, string, string, string]>): void {
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows) console.log(`  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("   ")}`);
}

async function main(): Promise<void> {
  const bundle = initialJavaScript();
  console.log(`initial JavaScript: ${bundle.files.length} files, ${bundle.gzip_kb} KB gzip${bundle.rebuilt ? " (rebuilt)" : ""}`);

  const persist = mkdtempSync(join(process.env.BENCH_PERSIST_DIR ?? tmpdir(), "bench-dashboard-"));
  let server: Server | null = null;
  let browser: Browser | null = null;
  try {
    runTool(["wrangler", "d1", "migrations", "apply", "LEDGER", "--local", "--persist-to", persist]);
    const seedSeconds = seedRuns(persist);
    console.log(`seeded ${RUNS} runs / ${RUNS * JOBS_PER_RUN} jobs in ${round(seedSeconds)} s`);
    const { token } = createApiToken({ role: "admin", name: "dashboard bench", createdBy: "bench" }, { root: process.cwd(), persistTo: persist });
    server = await startServer(persist);
    const { chromium } = (await import(PLAYWRIGHT_MODULE)) as typeof import("playwright-core");
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const rows = await firstRows(browser, server.baseURL, token);
    const live = await liveDelay(browser, server.baseURL, token);

    const met = {
      initial_js: bundle.gzip_kb < TARGETS.initial_js_gzip_kb_max,
      first_rows: rows.median_ms < TARGETS.first_rows_ms_max,
      live_delay: live.p95_ms < TARGETS.live_delay_ms_max,
    };
    const verdict = (ok: boolean) => (ok ? "met" : "missed");
    console.log("");
    table([
      ["measure", "figure", "target", "verdict"],
      [`initial JavaScript, gzip (${bundle.files.length} files)`, `${bundle.gzip_kb} KB`, `< ${TARGETS.initial_js_gzip_kb_max} KB`, verdict(met.initial_js)],
      [
        `/jobs to first folder row, ${RUNS} runs (median of ${rows.navigations})`,
        `${rows.median_ms} ms`,
        `< ${TARGETS.first_rows_ms_max} ms`,
        verdict(met.first_rows),
      ],
      [`progress → page, median (${live.matched_updates} updates)`, `${live.median_ms} ms`, "", ""],
      ["progress → page, p95", `${live.p95_ms} ms`, `< ${TARGETS.live_delay_ms_max} ms`, verdict(met.live_delay)],
    ]);
    const results = {
      bench: "dashboard",
      node: process.version,
      initial_js: bundle,
      first_rows: { runs: RUNS, jobs: RUNS * JOBS_PER_RUN, seed_seconds: round(seedSeconds), ...rows },
      live_delay: live,
      targets: TARGETS,
      met,
    };
    mkdirSync(dirname(RESULTS), { recursive: true });
    writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
  } finally {
    await browser?.close();
    if (server !== null) await stopServer(server.child);
    rmSync(persist, { recursive: true, force: true });
  }
}

await main();
