// npm test: every layer in order, then one plain total for CI to read.
// Runners write JSON reports to reports/; type checks and lint steps count as one check each.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { playwrightFailures, vitestFailures } from "./failing-tests.mjs";
import { compareWithFloor, readFloor } from "./test-count-floor.mjs";

const only = process.argv.slice(2);
rmSync("reports", { recursive: true, force: true });
mkdirSync("reports", { recursive: true });

// Checks without a report run two at a time (they are single-threaded and these machines have two cores),
// each one's output printed whole when it ends; the test runners then run one after the other.
const checks = [
  { name: "typecheck:worker", cmd: "tsc", args: ["-p", "tsconfig.worker.json"] },
  { name: "typecheck:node", cmd: "tsc", args: ["-p", "tsconfig.node.json"] },
  { name: "typecheck:web", cmd: "svelte-check", args: ["--tsconfig", "test/web/tsconfig.json", "--fail-on-warnings"] },
  // The lint steps run package.json's own scripts, so `npm run lint` and `npm test` cannot drift apart.
  { name: "lint:eslint", cmd: "npm", args: ["run", "-s", "lint:eslint"] },
  { name: "lint:format", cmd: "npm", args: ["run", "-s", "lint:format"] },
  { name: "lint:deps", cmd: "npm", args: ["run", "-s", "lint:deps"] },
  { name: "build:web", cmd: "vite", args: ["build", "--logLevel", "warn"] },
].filter((s) => only.length === 0 || only.includes(s.name));
const runners = [
  { name: "vitest", cmd: "vitest", args: ["run"], env: { CI_REPORT: "1" }, report: "reports/vitest.json" },
  { name: "playwright", cmd: "playwright", args: ["test"], report: "reports/playwright.json" },
].filter((s) => only.length === 0 || only.includes(s.name));
const CHECKS_AT_ONCE = 2;

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
const failedTests = [];

function runBuffered(step) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(step.cmd, step.args, { env: { ...process.env, ...step.env } });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const finish = (status) => {
      const ok = status === 0;
      console.log(`\n=== ${step.name}: ${step.cmd} ${step.args.join(" ")}\n${output}`.trimEnd());
      console.log(`=== ${step.name}: ${ok ? "ok" : `exit ${status}`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      resolve(ok);
    };
    child.on("error", (error) => {
      output += String(error);
      finish(-1);
    });
    child.on("close", (code, signal) => finish(code ?? signal));
  });
}

const queue = [...checks];
await Promise.all(
  Array.from({ length: CHECKS_AT_ONCE }, async () => {
    for (let step = queue.shift(); step !== undefined; step = queue.shift()) {
      if (await runBuffered(step)) {
        passed++;
      } else {
        failed++;
        failures.push(step.name);
      }
    }
  }),
);

for (const step of runners) {
  console.log(`\n=== ${step.name}: ${step.cmd} ${step.args.join(" ")}`);
  const started = Date.now();
  const result = spawnSync(step.cmd, step.args, { stdio: "inherit", env: { ...process.env, ...step.env } });
  const ok = result.status === 0;
  console.log(`=== ${step.name}: ${ok ? "ok" : `exit ${result.status ?? result.signal}`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const counts = existsSync(step.report) ? readCounts(step.name, JSON.parse(readFileSync(step.report, "utf8"))) : null;
  if (counts === null) {
    failed++;
    failures.push(`${step.name} (no report)`);
    continue;
  }
  passed += counts.passed;
  failed += counts.failed;
  skipped += counts.skipped;
  failedTests.push(...counts.failedTests);
  // A runner that crashed after its tests (or failed to collect) still fails the build.
  if (!ok && counts.failed === 0) {
    failed++;
    failures.push(`${step.name} (exit ${result.status})`);
  } else if (counts.failed > 0) {
    failures.push(step.name);
  }
}

function readCounts(name, report) {
  if (name === "vitest") {
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + report.numTodoTests,
      failedTests: vitestFailures(report, process.cwd()),
    };
  }
  const s = report.stats;
  return { passed: s.expected + s.flaky, failed: s.unexpected, skipped: s.skipped, failedTests: playwrightFailures(report) };
}

// A whole run must not lose tests silently (scripts/test-count-floor.mjs); a partial run is not compared.
if (only.length === 0) {
  const floor = compareWithFloor(passed + failed + skipped, readFloor());
  if (floor.message !== null) console.log(`\n${floor.message}`);
  if (floor.failure !== null) {
    failed++;
    failures.push(floor.failure);
  }
}

// CI keeps only the end of the output, so the failing tests are named again there, each on one line.
if (failedTests.length > 0) console.log(`\nFailing tests:\n${failedTests.map((name) => `  ${name}`).join("\n")}`);
if (failures.length > 0) console.log(`\nFailed: ${failures.join(", ")}`);
console.log(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
