/// <reference types="node" />
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { request as playwrightRequest, test as base, type APIRequestContext } from "@playwright/test";
// @ts-expect-error -- plain ESM script without type declarations
import { createApiToken as createTokenInLedger } from "../../scripts/local-api-tokens.mjs";
import type { Role } from "../../worker/schemas/types";
import { SESSION_STORAGE_KEY, type StoredSession } from "../../web/src/lib/session-token";

export interface WorkerServer {
  baseURL: string;
  // One API token per role, written into the server's D1 before it starts.
  tokens: Record<Role, string>;
}

export interface FixtureOptions {
  // The dashboard opens signed in with this role's token; null shows the sign-in screen.
  signedInAs: Role | null;
}

interface CreatedToken {
  token: string;
}

const createApiToken = createTokenInLedger as (
  request: { role: Role; name: string; createdBy: string },
  target: { root: string; persistTo: string },
) => CreatedToken;

const ROLES: readonly Role[] = ["viewer", "operator", "admin"];

const ROOT = resolve(import.meta.dirname, "../..");
const BUILT_INDEX = join(ROOT, "dist/web/index.html");
const READY_TIMEOUT_MS = 90_000;
const OUTPUT_TAIL_CHARS = 4_000;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address) resolvePort(address.port);
        else reject(new Error("Could not pick a free port"));
      });
    });
  });
}

// wrangler needs Node >= 22: put the project's node_modules/.bin (Node 24) first.
function wranglerEnv(): NodeJS.ProcessEnv {
  const bin = join(ROOT, "node_modules/.bin");
  return { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}`, CI: "1", WRANGLER_SEND_METRICS: "false" };
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: wranglerEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolveRun();
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output.slice(-OUTPUT_TAIL_CHARS)}`));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`wrangler dev exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
    }
    try {
      const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(5_000) });
      if (response.status === 200) return;
      last = `status ${response.status}: ${(await response.text()).slice(0, 500)}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((wait) => setTimeout(wait, 500));
  }
  throw new Error(`GET ${url}/api/health did not answer 200 within ${READY_TIMEOUT_MS / 1000} s (last: ${last}):\n${output()}`);
}

// The whole process group: npx, wrangler and workerd beneath it.
function stopGroup(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const force = setTimeout(() => {
      try {
        process.kill(-pid, "SIGKILL");
      } catch (error) {
        console.warn("wrangler dev group already gone", error);
      }
    }, 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolveStop();
    });
    try {
      process.kill(-pid, "SIGTERM");
    } catch (error) {
      clearTimeout(force);
      console.warn("wrangler dev group already gone", error);
      resolveStop();
    }
  });
}

export const test = base.extend<FixtureOptions & { adminApi: APIRequestContext }, { server: WorkerServer }>({
  signedInAs: ["admin", { option: true }],
  // The session is seeded once per tab, so signing out and reloading stays signed out.
  page: async ({ page, signedInAs, server }, use) => {
    if (signedInAs) {
      const session: StoredSession = { token: server.tokens[signedInAs], role: signedInAs, name: `e2e-${signedInAs}` };
      await page.addInitScript(
        ({ key, value }) => {
          if (sessionStorage.getItem("e2e:seeded")) return;
          sessionStorage.setItem("e2e:seeded", "1");
          sessionStorage.setItem(key, value);
        },
        { key: SESSION_STORAGE_KEY, value: JSON.stringify(session) },
      );
    }
    await use(page);
  },
  // Calls the API as an admin, for setting up what a test needs (runs, a broken connection).
  adminApi: async ({ server }, use) => {
    const context = await playwrightRequest.newContext({
      baseURL: server.baseURL,
      extraHTTPHeaders: { authorization: `Bearer ${server.tokens.admin}` },
    });
    await use(context);
    await context.dispose();
  },
  server: [
    async ({}, use) => {
      if (!existsSync(BUILT_INDEX)) {
        throw new Error(`${BUILT_INDEX} is missing: build the web app with \`npx vite build\` before \`npx playwright test\`.`);
      }
      const persistTo = await mkdtemp(join(tmpdir(), "outbound-sync-e2e-"));
      await run("npx", ["wrangler", "d1", "migrations", "apply", "LEDGER", "--local", "--persist-to", persistTo]);
      const tokens = {} as Record<Role, string>;
      for (const role of ROLES) {
        tokens[role] = createApiToken({ role, name: `e2e-${role}`, createdBy: "e2e fixture" }, { root: ROOT, persistTo }).token;
      }

      const port = await freePort();
      const inspectorPort = await freePort();
      const child = spawn(
        "npx",
        [
          "wrangler",
          "dev",
          "--port",
          String(port),
          "--ip",
          "127.0.0.1",
          "--inspector-port",
          String(inspectorPort),
          "--persist-to",
          persistTo,
          "--var",
          "SANDBOX:on",
          "--var",
          "DEMO_SEED:on",
          // The demo connections call the sandbox over plain http on loopback, which development rules allow.
          "--var",
          "ENVIRONMENT:development",
          // A fixed test-only AES key (bytes 0..31), so webhook secrets and credential secrets can be stored.
          "--var",
          "SECRETS_KEY:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
          "--show-interactive-dev-session=false",
        ],
        { cwd: ROOT, env: wranglerEnv(), stdio: ["ignore", "pipe", "pipe"], detached: true },
      );
      let output = "";
      const collect = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
      };
      child.stdout?.on("data", collect);
      child.stderr?.on("data", collect);

      const baseURL = `http://127.0.0.1:${port}`;
      try {
        await waitForHealth(baseURL, child, () => output);
        await use({ baseURL, tokens });
      } finally {
        await stopGroup(child);
        await rm(persistTo, { recursive: true, force: true });
      }
    },
    { scope: "worker", timeout: 180_000 },
  ],
  baseURL: async ({ server }, use) => {
    await use(server.baseURL);
  },
});

export { expect, type Page } from "@playwright/test";
