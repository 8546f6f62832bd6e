// The shape of an API token, shared by the worker (which refuses a malformed one before looking it up) and the
// sign-in screen (which says what is wrong with a pasted one before sending it). Pure: no Cloudflare imports.

// Crockford base32, lowercase: no i, l, o, u, so a token read aloud or retyped stays unambiguous.
export const TOKEN_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
export const TOKEN_PREFIX = "osk_";
export const TOKEN_ROLE_LETTERS = ["v", "o", "a"] as const;
export const TOKEN_BODY_LENGTH = 32;
export const TOKEN_BODY_MAX_LENGTH = 128;
export const TOKEN_SHAPE = /^osk_([voa])_([0-9a-hjkmnp-tv-z]{32,128})$/;

/** What is wrong with the token's format, in words for the person who pasted it; null when it is well-formed. */
export function tokenFormatProblem(token: string): string | null {
  if (TOKEN_SHAPE.test(token)) return null;
  if (token === "") return "Paste an API token: it starts with osk_.";
  if (!token.startsWith(TOKEN_PREFIX)) {
    return 'This is not an Outbound Sync API token: API tokens start with "osk_" and a role letter (osk_a_…, osk_o_…, osk_v_…).';
  }
  const role = token.charAt(TOKEN_PREFIX.length);
  if (!(TOKEN_ROLE_LETTERS as readonly string[]).includes(role) || token.charAt(TOKEN_PREFIX.length + 1) !== "_") {
    return 'After "osk_" comes the role letter v, o or a and "_" (osk_a_…): this token has something else there.';
  }
  const body = token.slice(TOKEN_PREFIX.length + 2);
  const foreign = [...new Set([...body].filter((char) => !TOKEN_ALPHABET.includes(char)))];
  if (foreign.length > 0) {
    const shown = foreign
      .slice(0, 5)
      .map((char) => JSON.stringify(char))
      .join(", ");
    return `This token has characters an API token never has (${shown}): tokens use only digits and lowercase letters. Check that nothing else was copied with it.`;
  }
  if (body.length < TOKEN_BODY_LENGTH) {
    return `This token is cut short: it has ${body.length} characters after "osk_${role}_", an API token has ${TOKEN_BODY_LENGTH}. Copy the whole token again.`;
  }
  return `This token is too long: it has ${body.length} characters after "osk_${role}_", an API token has ${TOKEN_BODY_LENGTH}. Copy only the token.`;
}
