// npm start: build the dashboard, bring the local D1 up to date, serve on :8787 (or PORT).
// The demo is seeded by the worker itself on the first API request (DEMO_SEED=on).
import { spawnSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { bootstrapLocalDev, devServerArgs } from "./dev-bootstrap.mjs";
import { cronTriggers, startLocalCron } from "./local-cron.mjs";

function run(cmd, args) {
  console.log(`\n> ${cmd} ${args.join(" ")}`);
  const result = spawnSync(cmd, args, { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// Read first, so a bad PORT stops before the build.
const server = devServerArgs({ extra: process.argv.slice(2) });
run("vite", ["build", "--logLevel", "warn"]);
run("wrangler", ["d1", "migrations", "apply", "LEDGER", "--local"]);
// Creates .dev.vars (with a generated SECRETS_KEY) and the first admin token, printed once.
await bootstrapLocalDev();

console.log(`\nDashboard: http://localhost:${server.port}${server.publicUrl === null ? "" : ` (PUBLIC_URL ${server.publicUrl})`}`);
const dev = spawn("wrangler", server.args, { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));

// The cron triggers fire on their minutes, as deployed (wrangler dev alone never fires them).
if (process.env.LOCAL_CRON !== "off") {
  const crons = cronTriggers(readFileSync("wrangler.toml", "utf8"));
  startLocalCron({ port: server.port, crons });
  console.log(`Cron triggers ${crons.map((cron) => `"${cron}"`).join(" and ")} fire on their minutes (LOCAL_CRON=off to leave them to curl).`);
}
