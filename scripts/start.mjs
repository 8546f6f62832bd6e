// npm start: build the dashboard, bring the local D1 up to date, serve on :8787.
// The demo is seeded by the worker itself on the first API request (DEMO_SEED=on).
import { spawnSync, spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";

function run(cmd, args) {
  console.log(`\n> ${cmd} ${args.join(" ")}`);
  const result = spawnSync(cmd, args, { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("created .dev.vars from .dev.vars.example");
}

run("vite", ["build", "--logLevel", "warn"]);
run("wrangler", ["d1", "migrations", "apply", "LEDGER", "--local"]);

const port = process.env.PORT ?? "8787";
const dev = spawn("wrangler", ["dev", "--port", port, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
