import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM script without type declarations
import { bootstrapLocalDev, ensureDevVars } from "../../scripts/dev-bootstrap.mjs";
// @ts-expect-error -- plain ESM script without type declarations
import { adminTokenStatus, createApiToken, generateApiToken as scriptToken, hashApiToken as scriptHash, queryLedger } from "../../scripts/local-api-tokens.mjs";
import { generateApiToken, hashApiToken, looksLikeApiToken } from "../../worker/auth/tokens";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "osk-bootstrap-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function makeDevFiles(options: { example: string; devVars?: string }) {
  const dir = tempDir();
  const exampleFile = join(dir, ".dev.vars.example");
  const devVarsFile = join(dir, ".dev.vars");
  writeFileSync(exampleFile, options.example);
  if (options.devVars !== undefined) writeFileSync(devVarsFile, options.devVars);
  return { exampleFile, devVarsFile, read: () => readFileSync(devVarsFile, "utf8") };
}

const EXAMPLE = "# Local settings\nSANDBOX=on\nDEMO_SEED=on\n# Relaxes outbound URL rules.\nENVIRONMENT=development\n";

function secretsKeyIn(text: string): string | undefined {
  return /^SECRETS_KEY=(.*)$/m.exec(text)?.[1];
}

describe(".dev.vars preparation", () => {
  it("creates .dev.vars from the example with a fresh 32-byte SECRETS_KEY", () => {
    const files = makeDevFiles({ example: EXAMPLE });
    expect(ensureDevVars(files)).toEqual({ created: true, added: ["SECRETS_KEY"] });
    const text = files.read();
    expect(text.startsWith(EXAMPLE)).toBe(true);
    expect(Buffer.from(secretsKeyIn(text) ?? "", "base64")).toHaveLength(32);
    expect(statSync(files.devVarsFile).mode & 0o077).toBe(0);
  });

  it("appends only what is missing, with its comment, and never changes an existing line", () => {
    const existing = "SANDBOX=off\nMY_OWN=1"; // no trailing newline, a value that differs from the example
    const files = makeDevFiles({ example: EXAMPLE, devVars: existing });
    expect(ensureDevVars(files)).toEqual({ created: false, added: ["ENVIRONMENT", "SECRETS_KEY"] });
    const text = files.read();
    expect(text.startsWith(`${existing}\n# Relaxes outbound URL rules.\nENVIRONMENT=development\n`)).toBe(true);
    expect(text).not.toContain("SANDBOX=on");
    expect(text).not.toContain("DEMO_SEED");
  });

  it("keeps an existing SECRETS_KEY and changes nothing on a second run", () => {
    const files = makeDevFiles({ example: EXAMPLE });
    ensureDevVars(files);
    const first = files.read();
    expect(ensureDevVars(files)).toEqual({ created: false, added: [] });
    expect(files.read()).toBe(first);
  });
});

describe("tokens made by the scripts", () => {
  it("have the worker's format and hash, so the worker accepts them", async () => {
    for (const role of ["viewer", "operator", "admin"] as const) {
      const token: string = scriptToken(role);
      expect(looksLikeApiToken(token)).toBe(true);
      expect(token.slice(4, 5)).toBe(generateApiToken(role).slice(4, 5));
      expect(scriptHash(token)).toBe(await hashApiToken(token));
    }
  });
});

describe("bootstrapping the local database", () => {
  it(
    "creates one admin token in a fresh database, saves it, and shows the saved one on later starts",
    () => {
      // A scratch project: wrangler finds its config and keeps its local D1 under scratch/.wrangler.
      const root = tempDir();
      cpSync("wrangler.toml", join(root, "wrangler.toml"));
      cpSync("migrations", join(root, "migrations"), { recursive: true });
      writeFileSync(join(root, ".dev.vars.example"), EXAMPLE);
      const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "LEDGER", "--local"], { cwd: root, encoding: "utf8" });
      expect(migrate.status, migrate.stderr).toBe(0);

      const lines: string[] = [];
      const first = bootstrapLocalDev({ root, log: (line: string) => lines.push(line) });
      expect(first.created).toBe(true);
      expect(looksLikeApiToken(first.token)).toBe(true);
      const tokenFile = join(root, ".wrangler/admin-token.txt");
      expect(readFileSync(tokenFile, "utf8").trim()).toBe(first.token);
      expect(lines.join("\n")).toContain(first.token);
      expect(secretsKeyIn(readFileSync(join(root, ".dev.vars"), "utf8"))).toBeDefined();

      const target = { root };
      const rows = queryLedger("SELECT role, token_hash, created_by FROM api_tokens", target);
      expect(rows).toEqual([{ role: "admin", token_hash: scriptHash(first.token), created_by: "npm start" }]);

      expect(bootstrapLocalDev({ root, log: () => {} })).toEqual({ token: first.token, created: false });

      const viewer = createApiToken({ role: "viewer", name: "it's quoted", createdBy: "cli" }, target);
      expect(queryLedger(`SELECT name, role FROM api_tokens WHERE id = '${viewer.id}'`, target)).toEqual([{ name: "it's quoted", role: "viewer" }]);

      // The saved plaintext is gone but an admin exists: no second admin token is made.
      rmSync(tokenFile);
      expect(bootstrapLocalDev({ root, log: () => {} })).toEqual({ token: null, created: false });
      expect(queryLedger("SELECT COUNT(*) AS n FROM api_tokens WHERE role = 'admin'", target)).toEqual([{ n: 1 }]);

      // A token may be made to expire; an expired admin token is nobody's sign-in, so the next start makes a new one.
      const before = Date.now();
      const lapsing = createApiToken({ role: "viewer", name: "for a week", createdBy: "cli", expiresInDays: 7 }, target);
      const [{ expires_at }] = queryLedger(
        `UPDATE api_tokens SET expires_at = ${Date.now() - 1} WHERE role = 'admin'; SELECT expires_at FROM api_tokens WHERE id = '${lapsing.id}'`,
        target,
      );
      expect(expires_at).toBeGreaterThanOrEqual(before + 7 * 86_400_000);
      expect(expires_at).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);
      expect(adminTokenStatus(first.token, target)).toEqual({ activeAdmins: 0, candidateIsActiveAdmin: false });
    },
    // Every step spawns wrangler: about ten seconds each on a busy 2-core machine.
    240_000,
  );
});
