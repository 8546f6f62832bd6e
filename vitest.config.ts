import { globSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { configDefaults, defineConfig } from "vitest/config";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// A static import or re-export of a bare package name, not a type-only one.
const BARE_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^;"']*?\sfrom\s+)?["']([^"'./][^"']*)["']/gm;

// Every package entry the Worker and its tests import that package.json lists as a runtime dependency.
// They are pre-bundled together once per run, so each test file's fresh workerd loads a few bundles instead of
// ~250 separate modules; one optimizer run keeps code shared between entries (hono's HTTPException, zod) one instance.
function workerDependencyEntries(): string[] {
  const { dependencies } = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
  const entries = new Set<string>();
  for (const file of globSync(["worker/**/*.ts", "shared/**/*.ts", "test/worker/**/*.ts"])) {
    for (const [, specifier = ""] of readFileSync(file, "utf8").matchAll(BARE_IMPORT)) {
      const [first = "", second = ""] = specifier.split("/");
      if (Object.hasOwn(dependencies, specifier.startsWith("@") ? `${first}/${second}` : first)) entries.add(specifier);
    }
  }
  return [...entries].sort();
}

// One configuration, three layers: pure code in Node, the Worker inside
// workerd with real D1 and Durable Objects, Svelte components in a DOM.
// Test folders mirror the source; a *.node.test.ts file runs in Node wherever it sits
// (it starts loopback servers, which workerd cannot).
export default defineConfig({
  test: {
    // A stray .only fails the run everywhere, not only in CI.
    allowOnly: false,
    // Vitest's default (cores - 1) is one worker on a 2-core machine, which leaves a core idle while the main
    // process only serves modules: two workers run the web files about 1.7x faster there.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: process.env.CI_REPORT ? ["default", ["json", { outputFile: "reports/vitest.json" }]] : ["default"],
    projects: [
      {
        test: {
          name: "engine",
          environment: "node",
          include: ["test/engine/**/*.test.ts", "test/scripts/**/*.test.ts", "test/**/*.node.test.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                SANDBOX: "on",
                DEMO_SEED: "off",
                // Development rules for outbound URLs, so contracts may point at the loopback sandbox.
                ENVIRONMENT: "development",
                // A fixed test-only AES key (bytes 0..31): secrets stored by one test file decrypt in the next.
                SECRETS_KEY: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                // Runs are driven step by step: automatic alarms are pushed far out and each test fires them
                // itself, so what a test sees between two steps is exactly one slice.
                COORDINATOR_TUNING: JSON.stringify({ sliceRecords: 100, sliceGapMs: 3_600_000, retryDelayMs: 3_600_000, watchdogMs: 3_600_000 }),
              },
              // Batches go to the consumer after 50 ms rather than wrangler.toml's 1 s, so a test waiting for alerts waits less.
              queueConsumers: { "outbound-sync-alerts": { maxBatchTimeout: 0.05 } },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          // Above the 12 s the alert tests' waitFor allows, so a slow queue or alarm fails naming what it waited for
          // rather than at the runner's default 5 s (which a loaded 2-core machine reached once).
          testTimeout: 15_000,
          exclude: [...configDefaults.exclude, "test/**/*.node.test.ts"],
          // One workerd runs the files one after another: starting a workerd and loading the Worker's module graph
          // per file cost more than all the tests. Each file still starts from an empty ledger and empty buckets.
          isolate: false,
          setupFiles: ["./test/worker/apply-migrations.ts", "./test/worker/start-each-file-afresh.ts"],
          deps: { optimizer: { ssr: { enabled: true, include: workerDependencyEntries() } } },
        },
      },
      {
        plugins: [svelte()],
        resolve: { conditions: ["browser"] },
        test: {
          name: "web",
          environment: "jsdom",
          include: ["test/web/**/*.test.ts"],
        },
      },
    ],
  },
});
