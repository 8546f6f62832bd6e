// Bundles each bench/*.bench.ts with esbuild and runs it on this Node with --expose-gc.
// Usage: node bench/run.mjs [name-filter]
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { build } from "esbuild";

const benchDir = "bench";
const outDir = join("node_modules", ".cache", "bench");
const filter = process.argv[2] ?? "";
const entries = readdirSync(benchDir)
  .filter((file) => file.endsWith(".bench.ts") && file.includes(filter))
  .sort();

if (entries.length === 0) {
  console.error(`no bench/*.bench.ts matches "${filter}"`);
  process.exit(1);
}

let failed = 0;
for (const file of entries) {
  const outfile = join(outDir, `${basename(file, ".ts")}.mjs`);
  await build({
    entryPoints: [join(benchDir, file)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    sourcemap: "inline",
    logLevel: "warning",
  });
  console.log(`\n▶ ${file}`);
  const run = spawnSync(process.execPath, ["--expose-gc", "--enable-source-maps", outfile], { stdio: "inherit" });
  if (run.status !== 0) {
    console.error(`${file} exited with ${run.status ?? run.signal}`);
    failed += 1;
  }
}
process.exit(failed === 0 ? 0 : 1);
