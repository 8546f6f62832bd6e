import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const TYPES_FILE = "worker/worker-configuration.d.ts";
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

// The arguments of `npm run types`, read from package.json so the check runs what developers run.
function typesArgs(): string[] {
  const script = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.types!;
  return script.split(/\s+/).slice(1);
}

function wranglerTypesCheck(configPath: string) {
  const run = spawnSync(process.execPath, [WRANGLER, ...typesArgs(), "--check", "--config", configPath], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

// Each check starts wrangler, which takes seconds on a busy machine.
describe("the generated binding types", { timeout: 60_000 }, () => {
  it("match wrangler.toml (run `npm run types` after changing a binding)", () => {
    const check = wranglerTypesCheck(join(ROOT, "wrangler.toml"));
    expect(check.output).toContain("up to date");
    expect(check.status).toBe(0);
  });

  it("are reported stale when wrangler.toml gains a binding", () => {
    // Beside the real one, so `main` and the migrations resolve the same way.
    const config = join(ROOT, `wrangler.types-check-${process.pid}.toml`);
    copyFileSync(join(ROOT, "wrangler.toml"), config);
    try {
      writeFileSync(config, readFileSync(config, "utf8").replace("[vars]\n", '[vars]\nADDED_FOR_THE_TEST = "yes"\n'));
      const check = wranglerTypesCheck(config);
      expect(check.output).toContain(`Types at ${TYPES_FILE} are out of date`);
      expect(check.status).not.toBe(0);
    } finally {
      rmSync(config, { force: true });
    }
  });
});
