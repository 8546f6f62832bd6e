// npm start: build the dashboard, bring the local D1 up to date, serve on :8787.
// The demo is seeded by the worker itself on the first API request (DEMO_SEED=on).
import { spawnSync, spawn } from "node:child_process";
import { bootstrapLocalDev } from "./dev-bootstrap.mjs";

function run(cmd, args) {
  console.log(`\n> ${cmd} ${args.join(" ")}`);
  const result = spawnSync(cmd, args, { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run("vite", ["build", "--logLevel", "warn"]);
run("wrangler", ["d1", "migrations", "apply", "LEDGER", "--local"]);
// Creates .dev.vars (with a generated SECRETS_KEY) and the first admin token, printed once.
await bootstrapLocalDev();

const port = process.env.PORT ?? "8787";
const dev = spawn("wrangler", ["dev", "--port", port, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
