// Bundles the CLI (cli/src, TypeScript) into one ES module, dist/cli/outbound-sync.mjs, that Node 20 and later run
// without the project's tooling: `npm install` runs it (prepare), `npm run cli` before each use.
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
export const CLI_BUNDLE = resolve(ROOT, "dist/cli/outbound-sync.mjs");

export async function buildCli() {
  await build({
    entryPoints: [resolve(ROOT, "cli/src/main.ts")],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
  });
  return CLI_BUNDLE;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await buildCli();
