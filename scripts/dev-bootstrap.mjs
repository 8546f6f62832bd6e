// Local development setup that `npm start` runs after migrating the local D1 and before `wrangler dev`:
// a SECRETS_KEY in .dev.vars, and an admin token to sign in with on first start.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { adminTokenStatus, createApiToken } from "./local-api-tokens.mjs";

const KEY_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

function keysIn(text) {
  return new Set(
    text
      .split(/\r?\n/)
      .map((line) => KEY_LINE.exec(line)?.[1])
      .filter(Boolean),
  );
}

// Keys an older .dev.vars may lack. Others stay as the developer left them: a deleted SANDBOX or
// DEMO_SEED line may be deliberate, and re-adding it would switch the demo back on.
const KEYS_TO_BRING_IN = ["ENVIRONMENT"];

/**
 * Creates .dev.vars from the example if missing, appends the example's KEYS_TO_BRING_IN and a generated
 * SECRETS_KEY when absent, and never changes a line already there. Returns the names added.
 */
export function ensureDevVars({ devVarsFile = ".dev.vars", exampleFile = ".dev.vars.example" } = {}) {
  const example = existsSync(exampleFile) ? readFileSync(exampleFile, "utf8") : "";
  const created = !existsSync(devVarsFile);
  const current = created ? example : readFileSync(devVarsFile, "utf8");
  const present = keysIn(current);

  const lines = [];
  const added = [];
  let comments = [];
  for (const line of example.split(/\r?\n/)) {
    const key = KEY_LINE.exec(line)?.[1];
    if (!key) {
      // A comment block travels with the key under it.
      comments = line.trimStart().startsWith("#") ? [...comments, line] : [];
      continue;
    }
    if (KEYS_TO_BRING_IN.includes(key) && !present.has(key)) {
      lines.push(...comments, line);
      added.push(key);
      present.add(key);
    }
    comments = [];
  }
  if (!present.has("SECRETS_KEY")) {
    lines.push("# AES-GCM key for credential secrets at rest; generated on first start. Keep it: secrets saved under it need it.");
    lines.push(`SECRETS_KEY=${randomBytes(32).toString("base64")}`);
    added.push("SECRETS_KEY");
  }
  if (added.length === 0 && !created) return { created, added };

  const separator = current === "" || current.endsWith("\n") ? "" : "\n";
  writeFileSync(devVarsFile, lines.length === 0 ? current : current + separator + lines.join("\n") + "\n", { mode: 0o600 });
  return { created, added };
}

/**
 * Makes sure the local database has an admin token someone can sign in with. A new one is saved to
 * `adminTokenFile` so later starts can show it again (the database keeps only its hash).
 */
export function ensureLocalAdminToken({ adminTokenFile = join(".wrangler", "admin-token.txt"), target = {} } = {}) {
  const saved = existsSync(adminTokenFile) ? readFileSync(adminTokenFile, "utf8").trim() : "";
  const status = adminTokenStatus(saved, target);
  if (status.candidateIsActiveAdmin) return { token: saved, created: false };
  if (status.activeAdmins > 0) return { token: null, created: false };

  const created = createApiToken({ role: "admin", name: "local-admin", createdBy: "npm start" }, target);
  mkdirSync(dirname(adminTokenFile), { recursive: true });
  writeFileSync(adminTokenFile, created.token + "\n", { mode: 0o600 });
  chmodSync(adminTokenFile, 0o600);
  return { token: created.token, created: true };
}

export const DEFAULT_PORT = "8787";

/**
 * `wrangler dev`'s arguments for `npm start` on PORT (default 8787). PUBLIC_URL (job links in alerts) follows
 * the port unless the developer set it, in the environment or in .dev.vars.
 */
export function devServerArgs({ env = process.env, devVarsFile = ".dev.vars", extra = [] } = {}) {
  const port = env.PORT?.trim() || DEFAULT_PORT;
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) throw new Error(`PORT must be a port number, not "${port}"`);
  const inDevVars = existsSync(devVarsFile) && keysIn(readFileSync(devVarsFile, "utf8")).has("PUBLIC_URL");
  const given = env.PUBLIC_URL?.trim();
  const publicUrl = given || (inDevVars ? null : `http://localhost:${port}`);
  const vars = publicUrl === null ? [] : ["--var", `PUBLIC_URL:${publicUrl}`];
  return { port, publicUrl, args: ["dev", "--port", port, ...vars, ...extra] };
}

/** What `npm start` calls: both steps, with what a newcomer needs to read printed plainly. */
export function bootstrapLocalDev({ root = process.cwd(), persistTo, log = console.log } = {}) {
  const vars = ensureDevVars({ devVarsFile: join(root, ".dev.vars"), exampleFile: join(root, ".dev.vars.example") });
  if (vars.created) log("created .dev.vars from .dev.vars.example");
  if (vars.added.length > 0) log(`added ${vars.added.join(", ")} to .dev.vars`);

  const adminTokenFile = join(root, ".wrangler", "admin-token.txt");
  const admin = ensureLocalAdminToken({ adminTokenFile, target: { root, persistTo } });
  if (admin.token === null) {
    log("An admin token exists in the local database (only its hash is stored). Create another: npm run token -- admin");
    return admin;
  }
  const rule = "=".repeat(72);
  log(`\n${rule}`);
  log(admin.created ? "  Created the local admin token. Sign in to the dashboard with:" : "  Local admin token (sign in to the dashboard with it):");
  log(`\n      ${admin.token}\n`);
  log(`  Saved in ${join(".wrangler", "admin-token.txt")}. More tokens: npm run token -- <viewer|operator|admin> [name]`);
  log(`${rule}\n`);
  return admin;
}
