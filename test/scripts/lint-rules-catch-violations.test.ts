import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { cruise } from "dependency-cruiser";
import extractDepcruiseOptions from "dependency-cruiser/config-utl/extract-depcruise-options";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";

// test/scripts/lint-fixtures/ is laid out like the repository, each file breaking one rule on purpose. ESLint
// lints each as if it stood at that path in the repository; dependency-cruiser cruises the folder as the root.
// The real lint run ignores the folder (eslint.config.js, .prettierignore) and no runner collects it.
const ROOT = join(import.meta.dirname, "../..");
const FIXTURES = join(import.meta.dirname, "lint-fixtures");

function fixtureFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? fixtureFiles(join(dir, entry.name)) : [relative(FIXTURES, join(dir, entry.name))],
  );
}

describe("lint rules catch violations", () => {
  let eslintFindings: Map<string, string[]>;
  let dependencyFindings: string[];

  beforeAll(async () => {
    const eslint = new ESLint({ cwd: ROOT });
    eslintFindings = new Map();
    for (const file of fixtureFiles(FIXTURES)) {
      const [result] = await eslint.lintText(readFileSync(join(FIXTURES, file), "utf8"), { filePath: join(ROOT, file) });
      eslintFindings.set(
        file,
        (result?.messages ?? []).map((message) => `${message.ruleId}: ${message.message}`),
      );
    }

    const options = await extractDepcruiseOptions(join(ROOT, ".dependency-cruiser.cjs"));
    const cruised = await cruise(["worker", "web", "shared"], { ...options, baseDir: FIXTURES, validate: true });
    if (typeof cruised.output === "string") throw new Error(`dependency-cruiser answered text: ${cruised.output}`);
    dependencyFindings = cruised.output.summary.violations.map((violation) => `${violation.rule.name}: ${violation.from} -> ${violation.to}`);
  }, 60_000);

  it("reports a value import cycle, and not a type-only one", () => {
    expect(dependencyFindings).toContain("no-value-import-cycles: worker/cycle/first.ts -> worker/cycle/second.ts");
    expect(dependencyFindings.filter((finding) => finding.includes("type-first") || finding.includes("type-second"))).toEqual([]);
  });

  it("reports the engine importing the ledger", () => {
    expect(dependencyFindings).toContain("engine-imports-nothing-else-of-the-worker: worker/engine/reads-the-ledger.ts -> worker/ledger/store.ts");
  });

  it("reports domain code importing the API", () => {
    expect(dependencyFindings).toContain("domain-does-not-import-the-api: worker/runs/throws-api-errors.ts -> worker/api/errors.ts");
  });

  it("reports a value import of worker code from the web app, and not a type-only one", () => {
    expect(dependencyFindings).toContain("web-imports-the-worker-type-only: web/src/imports-worker-code.ts -> worker/ledger/store.ts");
    expect(dependencyFindings.filter((finding) => finding.includes("imports-worker-types"))).toEqual([]);
  });

  it("reports shared code importing the worker, and lets the web app load shared values", () => {
    expect(dependencyFindings).toContain("shared-imports-nothing: shared/reaches-into-the-worker.ts -> worker/ledger/store.ts");
    expect(dependencyFindings.filter((finding) => finding.includes("imports-shared-code"))).toEqual([]);
  });

  it("reports production code importing the sandbox, and the sandbox router loaded other than on demand", () => {
    expect(dependencyFindings).toContain("production-code-imports-no-sandbox: worker/runs/uses-the-sandbox.ts -> worker/sandbox/demo-data.ts");
    expect(dependencyFindings).toContain("sandbox-router-loads-only-on-demand: worker/outbound.ts -> worker/sandbox/outbound-fetch.ts");
  });

  it("reports D1 queries and SQL text outside worker/ledger/, and none inside it", () => {
    expect(eslintFindings.get("worker/runs/queries-d1.ts")).toEqual([
      "no-restricted-syntax: D1 is reached only through worker/ledger/: call a ledger function instead.",
      "no-restricted-syntax: SQL lives in worker/ledger/ (or in a Durable Object's own storage module): move this query there.",
    ]);
    expect(eslintFindings.get("worker/runs/keeps-sql-text.ts")).toEqual([
      "no-restricted-syntax: SQL lives in worker/ledger/ (or in a Durable Object's own storage module): move this query there.",
    ]);
    expect(eslintFindings.get("worker/ledger/store.ts")).toEqual([]);
  });

  it("reports every focused test or suite", () => {
    expect(eslintFindings.get("test/e2e/focused-tests.ts")).toEqual(Array(4).fill("no-restricted-syntax: Remove .only: it skips every other test in the run."));
  });
});
