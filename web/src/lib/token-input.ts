import { tokenFormatProblem } from "../../../shared/token-format";

export type TokenInput = { ok: true; token: string } | { ok: false; message: string };

// What people paste around a token: a header line, the word Bearer, quotes from JSON or a shell.
const AROUND = /^(?:authorization\s*:\s*)?(?:bearer\s+)?["'`]?(.*?)["'`]?$/is;

/**
 * The token in what was pasted. Whitespace and line breaks (a token never has any), a copied
 * "Authorization: Bearer" and quotes are dropped silently; what is left must have a token's format.
 */
export function readTokenInput(pasted: string): TokenInput {
  const trimmed = pasted.trim();
  const token = (AROUND.exec(trimmed)?.[1] ?? trimmed).replace(/\s+/g, "");
  const problem = tokenFormatProblem(token);
  return problem === null ? { ok: true, token } : { ok: false, message: problem };
}
