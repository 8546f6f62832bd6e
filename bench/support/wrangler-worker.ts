/// <reference types="node" />
import { createHash, randomBytes } from "node:crypto";
import type { Miniflare as MiniflareInstance } from "miniflare";
import type { D1Database, R2Bucket } from "@cloudflare/workers-types";

// The real worker (worker/index.ts) inside workerd through Miniflare, with every binding wrangler.toml declares
// (D1, R2, Durable Objects, Queues, email…) read by wrangler itself, so a binding added to wrangler.toml reaches
// the bench without a change here. State is persisted under `persist`, so its files can be measured.
// Migrations are applied as `wrangler d1 migrations apply` would (recorded in d1_migrations); an admin token is
// written straight into the ledger (same hash as worker/auth/tokens.ts).

// Resolved at run time from node_modules: bundling these into the bench would break their paths to binaries.
const MINIFLARE_MODULE = "miniflare";
const WRANGLER_MODULE = "wrangler";
const ESBUILD_MODULE = "esbuild";
const VITEST_PLUGIN_MODULE = "@cloudflare/vitest-plugin";

export interface WranglerWorker {
  mf: MiniflareInstance;
  db: D1Database;
  /** Binding names of every R2 bucket in wrangler.toml. */
  r2Bindings: string[];
  r2(binding: string): Promise<R2Bucket>;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  dispose(): Promise<void>;
}

export interface WranglerWorkerOptions {
  persist: string;
  /** Extra text vars, e.g. ENVIRONMENT=development for plain-http loopback destinations. */
  vars?: Record<string, string>;
  /** A bench wrapper around the real worker (it re-exports worker/index.ts); worker/index.ts when absent. */
  entry?: string;
  /** Opens workerd's V8 inspector on this port (0: any free one), e.g. for a CPU profile (bench/support/cpu-profile.ts). */
  inspectorPort?: number;
  /** Durable Object classes the entry adds beside wrangler.toml's: binding name → class name. */
  durableObjects?: Record<string, string>;
}

async function bundleWorker(entry: string): Promise<string> {
  const { build } = (await import(ESBUILD_MODULE)) as typeof import("esbuild");
  const bundled = await build({
    entryPoints: [entry],
    write: false,
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser", "import"],
    external: ["cloudflare:*", "node:*"],
    logLevel: "warning",
  });
  return bundled.outputFiles[0]?.text ?? "";
}

async function applyMigrations(db: D1Database): Promise<void> {
  const { readD1Migrations } = (await import(VITEST_PLUGIN_MODULE)) as typeof import("@cloudflare/vitest-plugin");
  await db
    .prepare(
      "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
    )
    .run();
  for (const migration of await readD1Migrations("migrations")) {
    for (const query of migration.queries) await db.prepare(query).run();
    await db.prepare("INSERT INTO d1_migrations (name) VALUES (?1)").bind(migration.name).run();
  }
}

async function createAdminToken(db: D1Database): Promise<string> {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  const token = `osk_a_${Array.from(randomBytes(32), (b) => alphabet[b % 32]).join("")}`;
  const id = `tok_bench${randomBytes(8).toString("hex")}`;
  await db
    .prepare("INSERT INTO api_tokens (id, name, role, token_hash, token_prefix, created_by, created_at) VALUES (?1, 'bench', 'admin', ?2, ?3, 'bench', ?4)")
    .bind(id, createHash("sha256").update(token).digest("hex"), token.slice(0, 12), Date.now())
    .run();
  return token;
}

export async function startWranglerWorker(options: WranglerWorkerOptions): Promise<WranglerWorker> {
  const { unstable_getMiniflareWorkerOptions } = (await import(WRANGLER_MODULE)) as typeof import("wrangler");
  const { Miniflare, convertV4MiniflareOptions } = (await import(MINIFLARE_MODULE)) as typeof import("miniflare");
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml");
  // Not served here: the SPA's assets (the bench speaks to the API) and the crons (the bench starts runs itself).
  const { assets: _assets, cronTriggers: _crons, modulesRules: _rules, rootPath: _root, ...bindings } = workerOptions;
  const extraVars = options.vars ?? {};
  const v5 = convertV4MiniflareOptions({
    workers: [
      {
        ...bindings,
        name: "bench-worker",
        durableObjects: { ...(bindings.durableObjects as Record<string, unknown> | undefined), ...(options.durableObjects ?? {}) },
        bindings: { ...(bindings.bindings as Record<string, unknown> | undefined), ...extraVars },
        modules: [{ type: "ESModule", path: "worker.mjs", contents: await bundleWorker(options.entry ?? "worker/index.ts") }],
      },
    ],
  } as Parameters<typeof convertV4MiniflareOptions>[0]);
  const mf: MiniflareInstance = new Miniflare({
    ...v5,
    resourcePersistencePath: options.persist,
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
  });
  const db = (await mf.getD1Database("LEDGER")) as unknown as D1Database;
  await applyMigrations(db);
  const token = await createAdminToken(db);

  return {
    mf,
    db,
    r2Bindings: Object.keys(bindings.r2Buckets ?? {}),
    r2: async (binding) => (await mf.getR2Bucket(binding)) as unknown as R2Bucket,
    async api<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await mf.dispatchFetch(`http://localhost${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
      return JSON.parse(text) as T;
    },
    dispose: () => mf.dispose(),
  };
}
