#!/usr/bin/env node
// `npx outbound-sync` and `npm run cli`: the CLI bundled by scripts/build-cli.mjs (run by `npm install`).
import { existsSync } from "node:fs";

const bundle = new URL("../../dist/cli/outbound-sync.mjs", import.meta.url);
if (!existsSync(bundle)) {
  console.error("outbound-sync is not built yet: run `npm install` (or `node scripts/build-cli.mjs`) in the repository.");
  process.exit(1);
}
await import(bundle.href);
