// API tokens written straight into D1 through `wrangler d1 execute`, for bootstrapping before any
// admin token exists. The format and hash must match worker/auth/tokens.ts (a test checks they do).
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";

export const ROLES = ["viewer", "operator", "admin"];
const ROLE_LETTER = { viewer: "v", operator: "o", admin: "a" };
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const SHOWN_PREFIX_LENGTH = 12;

export function generateApiToken(role) {
  const bytes = randomBytes(20);
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return `osk_${ROLE_LETTER[role]}_${out}`;
}

export function hashApiToken(token) {
  return createHash("sha256").update(token).digest("hex");
}

// Same shape as worker/ledger/ids.ts: 10 characters of time, 16 random.
function newTokenId(now) {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let tail = "";
  for (const byte of randomBytes(16)) tail += ALPHABET[byte % 32];
  return `tok_${time}${tail}`;
}

const sqlText = (value) => `'${String(value).replace(/'/g, "''")}'`;

/**
 * Runs one statement against the LEDGER database and returns its rows.
 * `target`: { root, remote?, persistTo? } — local by default, `remote: true` for the deployed D1.
 */
export function queryLedger(sql, target = {}) {
  const root = target.root ?? process.cwd();
  const localBin = join(root, "node_modules", ".bin", "wrangler");
  const wrangler = existsSync(localBin) ? localBin : "wrangler";
  const args = ["d1", "execute", "LEDGER", target.remote ? "--remote" : "--local", "--json", "--command", sql];
  if (target.persistTo) args.push("--persist-to", target.persistTo);
  const result = spawnSync(wrangler, args, { cwd: root, encoding: "utf8" });
  const output = parseJson(result.stdout);
  if (result.status !== 0 || !Array.isArray(output)) {
    const reason = output?.error?.text ?? (result.stderr || result.stdout || String(result.error ?? "")).trim();
    throw new Error(`wrangler d1 execute failed: ${reason}`);
  }
  return output.flatMap((statement) => statement.results ?? []);
}

function parseJson(text) {
  const start = text?.search(/[[{]/) ?? -1;
  if (start < 0) return null;
  try {
    return JSON.parse(text.slice(start));
  } catch {
    return null; // not JSON: the caller reports wrangler's own output instead
  }
}

// The same bound as POST /api/tokens (worker/schemas/tokens.ts).
export const MAX_TOKEN_LIFETIME_DAYS = 365;
const DAY_MS = 86_400_000;

export function validateTokenRequest(role, name, expiresInDays) {
  if (!ROLES.includes(role)) return `role must be one of ${ROLES.join(", ")} (got ${JSON.stringify(role ?? "")})`;
  if (typeof name !== "string" || name.trim() === "" || name.trim().length > 100) return "name must be 1 to 100 characters";
  if (expiresInDays !== undefined && !(Number.isInteger(expiresInDays) && expiresInDays >= 1 && expiresInDays <= MAX_TOKEN_LIFETIME_DAYS)) {
    return `expires-in-days must be a whole number from 1 to ${MAX_TOKEN_LIFETIME_DAYS} (got ${JSON.stringify(expiresInDays)})`;
  }
  return null;
}

/** Inserts a new token and returns it; the plaintext exists only in the return value. No `expiresInDays`: never expires. */
export function createApiToken({ role, name, createdBy, expiresInDays }, target = {}) {
  const problem = validateTokenRequest(role, name, expiresInDays);
  if (problem) throw new Error(problem);
  const now = Date.now();
  const token = generateApiToken(role);
  const id = newTokenId(now);
  const expiresAt = expiresInDays === undefined ? null : now + expiresInDays * DAY_MS;
  queryLedger(
    `INSERT INTO api_tokens (id, name, role, token_hash, token_prefix, created_by, created_at, expires_at) VALUES (` +
      [id, name.trim(), role, hashApiToken(token), token.slice(0, SHOWN_PREFIX_LENGTH), createdBy].map(sqlText).join(", ") +
      `, ${now}, ${expiresAt ?? "NULL"})`,
    target,
  );
  return { id, name: name.trim(), role, token, expiresAt };
}

/** One round trip: how many admin tokens are active (not revoked, not expired), and whether `candidate` is one. */
export function adminTokenStatus(candidate, target = {}) {
  const hash = candidate ? hashApiToken(candidate) : "";
  const active = `role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${Date.now()})`;
  const [row] = queryLedger(
    `SELECT (SELECT COUNT(*) FROM api_tokens WHERE ${active}) AS active_admins,
            (SELECT COUNT(*) FROM api_tokens WHERE ${active} AND token_hash = ${sqlText(hash)}) AS candidate_ok`,
    target,
  );
  return { activeAdmins: Number(row?.active_admins ?? 0), candidateIsActiveAdmin: Number(row?.candidate_ok ?? 0) > 0 };
}
