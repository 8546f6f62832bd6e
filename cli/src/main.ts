import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { runCli } from "./run-cli";

// The bundled entry (dist/cli/outbound-sync.mjs): the real process behind runCli's Io.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (output) => process.stdout.write(output),
  stderr: (output) => process.stderr.write(output),
  env: process.env,
  fetch: (request) => fetch(request),
  sleep: (ms, signal) =>
    new Promise((wake) => {
      const timer = setTimeout(wake, ms);
      signal?.addEventListener("abort", () => (clearTimeout(timer), wake()), { once: true });
    }),
  ...(typeof WebSocket === "function" ? { openSocket: (url: string, protocols: string[]) => new WebSocket(url, protocols) } : {}),
  now: () => performance.now(),
  readText: (path) => (path === "-" ? text(process.stdin) : readFile(path, "utf8")),
});
