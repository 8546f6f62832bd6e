import { describe, expect, it } from "vitest";
import { createRedactor, MIN_SECRET_CHARS, REDACTED } from "../../worker/engine/redactor";
import { leaksIn, secretForms } from "./support/secret-forms";

const SECRET = 'p@ss w/rd+&"<ä>€=';

function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

describe("the redactor", () => {
  it.each(Object.entries(secretForms(SECRET)))("masks the %s form of a secret", (_form, value) => {
    const redactor = createRedactor(() => [SECRET]);
    const text = `401 Unauthorized: you sent ${value} (request 7)`;
    const out = redactor.redact(text);
    expect(out).toBe(`401 Unauthorized: you sent ${REDACTED} (request 7)`);
    expect(leaksIn(out, { secret: SECRET })).toEqual([]);
  });

  it("masks the secret inside a larger base64 blob, whatever its alignment", () => {
    const redactor = createRedactor(() => ["tok-0123456789abcdef"]);
    for (const prefix of ["", "a", "ab", "Authorization: Bearer "]) {
      const blob = base64(`${prefix}tok-0123456789abcdef and more`);
      const out = redactor.redact(`echo: ${blob}`);
      expect(out, prefix).toContain(REDACTED);
      // What is left of the blob is at most a few characters on either side of the mask.
      expect(out.replace(REDACTED, "").length, prefix).toBeLessThan(`echo: ${blob}`.length - 20);
    }
  });

  it("masks a secret cut off at the end of a truncated excerpt", () => {
    const redactor = createRedactor(() => ["tok-0123456789abcdef"]);
    expect(redactor.redact("GET /x returned 401: you sent Bearer tok-012345…")).toBe(`GET /x returned 401: you sent Bearer ${REDACTED}…`);
    expect(redactor.redact(`you sent ${base64("tok-0123456789abcdef").slice(0, 9)}…`)).toBe(`you sent ${REDACTED}…`);
  });

  it("masks overlapping secrets as one, leaving no fragment of either", () => {
    const redactor = createRedactor(() => ["abcd-1234", "1234-wxyz"]);
    expect(redactor.redact("x abcd-1234-wxyz y")).toBe(`x ${REDACTED} y`);
  });

  it("masks the complete header values as sent", () => {
    const basic = `Basic ${base64("jörg:pä:ss word")}`;
    const redactor = createRedactor(() => ["pä:ss word", "jörg:pä:ss word", basic]);
    expect(redactor.redact(`headers: {"authorization":"${basic}"}`)).toBe(`headers: {"authorization":"${REDACTED}"}`);
    expect(redactor.redact(`form: authorization=${encodeURIComponent(basic)}`)).toBe(`form: authorization=${REDACTED}`);
  });

  it(`ignores secrets shorter than ${MIN_SECRET_CHARS} characters, which would mask ordinary text`, () => {
    const redactor = createRedactor(() => ["abc", ""]);
    expect(redactor.redact("abc is not masked")).toBe("abc is not masked");
  });

  it("leaves text without secrets untouched and returns it as is", () => {
    const redactor = createRedactor(() => [SECRET]);
    const text = "GET https://example.com/devices/A1 returned 404";
    expect(redactor.redact(text)).toBe(text);
  });

  it("grows with its source: a token fetched later is masked from then on", () => {
    const secrets = ["client-secret-1"];
    const redactor = createRedactor(() => secrets);
    expect(redactor.redact("access-token-2")).toBe("access-token-2");
    secrets.push("access-token-2");
    expect(redactor.redact("Bearer access-token-2")).toBe(`Bearer ${REDACTED}`);
  });

  it("masks every string of a value, keys included, and keeps its shape", () => {
    const redactor = createRedactor(() => ["tok-0123456789"]);
    const value = { seen: "Bearer tok-0123456789", n: 3, list: [null, true, "tok-0123456789"], "tok-0123456789": { ok: 1 } };
    expect(redactor.redactValue(value)).toEqual({ seen: `Bearer ${REDACTED}`, n: 3, list: [null, true, REDACTED], [REDACTED]: { ok: 1 } });
  });

  it("masks the JSON-escaped secret inside a JSON text and keeps the JSON valid", () => {
    const redactor = createRedactor(() => ['ab"cd\\ef']);
    const json = JSON.stringify([{ field: "name", before: 'ab"cd\\ef', after: "x" }]);
    const out = redactor.redactJson(json);
    expect(JSON.parse(out)).toEqual([{ field: "name", before: REDACTED, after: "x" }]);
  });
});
