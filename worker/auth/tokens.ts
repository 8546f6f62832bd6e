import type { ApiTokenSummary, CreatedApiToken } from "../schemas/tokens";
import { findApiTokenByHash, insertApiToken, touchApiToken } from "../ledger/api-tokens";
import { newId } from "../ledger/ids";
import type { Principal, Role } from "./principal";
import { TOKEN_ALPHABET as ALPHABET, TOKEN_SHAPE, tokenFormatProblem } from "../../shared/token-format";
import { sha256Hex } from "../../shared/sha256";

const RANDOM_BYTES = 20; // 160 bits, exactly 32 base32 characters
const ROLE_LETTER: Record<Role, string> = { viewer: "v", operator: "o", admin: "a" };
const SHOWN_PREFIX_LENGTH = 12;
export const LAST_USED_INTERVAL_MS = 60_000;

/** `osk_<role letter>_<32 base32 characters>`; the letter is for people, the stored row holds the role. */
export function generateApiToken(role: Role): string {
  const bytes = crypto.getRandomValues(new Uint8Array(RANDOM_BYTES));
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

export function looksLikeApiToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, SHOWN_PREFIX_LENGTH);
}

export async function hashApiToken(token: string): Promise<string> {
  return sha256Hex(token);
}

export interface IssueTokenOptions {
  name: string;
  role: Role;
  createdBy: string;
  now: number;
  /** Ms since the epoch from which the token is refused; null or absent never expires. */
  expiresAt?: number | null;
}

/** Stores only the hash and prefix; the returned `token` is the one time the plaintext exists. */
export async function issueApiToken(db: D1Database, options: IssueTokenOptions): Promise<CreatedApiToken> {
  const token = generateApiToken(options.role);
  const summary: ApiTokenSummary = await insertApiToken(db, {
    id: newId("tok", options.now),
    name: options.name,
    role: options.role,
    tokenHash: await hashApiToken(token),
    tokenPrefix: tokenDisplayPrefix(token),
    createdBy: options.createdBy,
    now: options.now,
    expiresAt: options.expiresAt ?? null,
  });
  return { ...summary, token };
}

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: string; hint: string };

const NEW_TOKEN_HINT = "Ask an admin for a new token (Settings → API tokens, or npm run token on the server).";

export async function verifyApiToken(db: D1Database, token: string, now: number): Promise<TokenCheck> {
  const problem = tokenFormatProblem(token);
  if (problem !== null) return { ok: false, reason: problem, hint: "Copy the token again in full: osk_, a role letter, _ and 32 characters." };
  const found = await findApiTokenByHash(db, await hashApiToken(token));
  if (!found) {
    return {
      ok: false,
      reason: "The API token is not recognised: it is well-formed, but no token of this installation matches it.",
      hint: `It may be mistyped, from another installation, or deleted. ${NEW_TOKEN_HINT}`,
    };
  }
  if (found.revokedAt !== null) {
    return { ok: false, reason: `The API token "${found.name}" was revoked on ${new Date(found.revokedAt).toISOString()}.`, hint: NEW_TOKEN_HINT };
  }
  if (found.expiresAt !== null && now >= found.expiresAt) {
    return { ok: false, reason: `The API token "${found.name}" expired on ${new Date(found.expiresAt).toISOString()}.`, hint: NEW_TOKEN_HINT };
  }
  if (found.lastUsedAt === null || now - found.lastUsedAt >= LAST_USED_INTERVAL_MS) {
    await touchApiToken(db, found.id, now, LAST_USED_INTERVAL_MS);
  }
  return { ok: true, principal: { kind: "token", id: found.id, name: found.name, role: found.role, expiresAt: found.expiresAt } };
}
