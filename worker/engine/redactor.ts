// Masks credential material in text that leaves a request (error messages, response excerpts, records,
// log lines) before it is stored or shown. A destination may echo what it received in any encoding, so
// every secret is matched as sent and as base64, URL/form, JSON and HTML encoding would render it.

export const REDACTED = "[redacted]";
// Shorter secrets are not masked: "abc" would mask ordinary words everywhere. Documented in the README.
export const MIN_SECRET_CHARS = 4;
// Base64 of a secret inside a larger blob is matched by its middle; shorter middles would hit by chance.
const MIN_EMBEDDED_BASE64_CHARS = 8;
// A truncated excerpt ends with "…": a cut-off secret before it is masked when this much of it shows.
const MIN_CUT_PREFIX_CHARS = 4;
const ELLIPSIS = "…";

export interface Redactor {
  redact(text: string): string;
  // Every string of a JSON-like value, object keys included.
  redactValue<T>(value: T): T;
  // A JSON text with its strings redacted as values, so the result stays valid JSON.
  redactJson(text: string): string;
}

/** `secrets` is asked on every call, so material learned later (fetched OAuth tokens) is masked from then on. */
export function createRedactor(secrets: () => readonly string[]): Redactor {
  let key = "";
  let patterns: string[] = [];
  // Asked once per text masked (a request log entry masks a dozen): the same secrets as last time skip the rebuild.
  let last: readonly string[] = [];
  const current = (): string[] => {
    const asked = secrets();
    if (asked.length === last.length && asked.every((secret, i) => secret === last[i])) return patterns;
    last = [...asked];
    const material = asked.filter((secret) => secret.length >= MIN_SECRET_CHARS);
    const nextKey = material.join("\u0000");
    if (nextKey !== key) {
      key = nextKey;
      patterns = [...new Set(material.flatMap(encodingsOf))].filter((p) => p.length >= MIN_SECRET_CHARS);
    }
    return patterns;
  };

  const redact = (text: string): string => maskAll(text, current());
  const redactValue = <T>(value: T): T => deepMap(value, redact) as T;
  return {
    redact,
    redactValue,
    redactJson: (text) => {
      const masked = redact(text);
      return masked === text ? text : JSON.stringify(redactValue(JSON.parse(text) as unknown));
    },
  };
}

/** Every form in which `secret` may come back. */
export function encodingsOf(secret: string): string[] {
  // As sent, with whitespace runs flattened (excerpts flatten them), and CSV-quoted.
  const forms = new Set<string>([secret, secret.replace(/\s+/g, " "), secret.replace(/"/g, '""')]);
  for (const encode of [encodeURIComponent, encodeURI, formEncode]) {
    const encoded = wellFormed(secret) ? encode(secret) : null;
    if (encoded === null) continue;
    forms.add(encoded);
    forms.add(encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
  }
  const json = JSON.stringify(secret).slice(1, -1);
  forms.add(json);
  forms.add(json.replace(/\//g, "\\/"));
  for (const hex of [(c: string) => c.toLowerCase(), (c: string) => c.toUpperCase()]) {
    forms.add(json.replace(/[\u007f-\uffff]/g, (c) => `\\u${hex(c.charCodeAt(0).toString(16).padStart(4, "0"))}`));
  }
  for (const apostrophe of ["&#39;", "&#x27;", "&apos;"]) {
    forms.add(secret.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, apostrophe));
  }
  for (const form of base64Forms(new TextEncoder().encode(secret))) forms.add(form);
  // An echoed form inside a JSON string (a log line quoting a value, a JSON error body) is escaped once more.
  for (const form of [...forms]) forms.add(JSON.stringify(form).slice(1, -1));
  return [...forms];
}

// URI encoders throw on a lone surrogate; such a secret is still matched in its other forms.
function wellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

// application/x-www-form-urlencoded (spaces as "+"), as bodies and RFC 6749 client credentials use it.
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

// Standard and URL-safe, padded and not; and the characters that encode only the secret's own bits when
// it sits at any offset inside a larger base64 text (a whole echoed header, "user:password").
function base64Forms(bytes: Uint8Array): string[] {
  const whole = base64(bytes);
  const forms = [whole, whole.replace(/=+$/, "")];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = new Uint8Array(offset + bytes.length);
    shifted.set(bytes, offset);
    const encoded = base64(shifted);
    const first = Math.ceil((offset * 8) / 6);
    const last = Math.floor(((offset + bytes.length) * 8) / 6);
    const middle = encoded.slice(first, last);
    if (middle.length >= MIN_EMBEDDED_BASE64_CHARS) forms.push(middle);
  }
  return forms.flatMap((form) => [form, form.replace(/\+/g, "-").replace(/\//g, "_")]);
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// Every occurrence of every pattern, overlapping ones merged, becomes one marker: no fragment is left over.
function maskAll(text: string, patterns: readonly string[]): string {
  if (patterns.length === 0 || text.length < MIN_SECRET_CHARS) return text;
  const spans: Array<[number, number]> = [];
  for (const pattern of patterns) {
    for (let at = text.indexOf(pattern); at !== -1; at = text.indexOf(pattern, at + 1)) spans.push([at, at + pattern.length]);
  }
  const cut = text.endsWith(ELLIPSIS) ? cutOffSecret(text.slice(0, -ELLIPSIS.length), patterns) : null;
  if (cut !== null) spans.push(cut);
  if (spans.length === 0) return text;
  spans.sort((a, b) => a[0] - b[0]);
  let out = "";
  let position = 0;
  let i = 0;
  while (i < spans.length) {
    const start = spans[i]![0];
    let end = spans[i]![1];
    for (i++; i < spans.length && spans[i]![0] <= end; i++) end = Math.max(end, spans[i]![1]);
    out += text.slice(position, start) + REDACTED;
    position = end;
  }
  return out + text.slice(position);
}

// The longest start of a pattern that the text ends with, as the span to mask. Candidates are found by
// the pattern's first characters, so an excerpt without any costs one indexOf per pattern.
function cutOffSecret(text: string, patterns: readonly string[]): [number, number] | null {
  let start = text.length;
  for (const pattern of patterns) {
    const head = pattern.slice(0, MIN_CUT_PREFIX_CHARS);
    const floor = Math.max(0, text.length - pattern.length + 1);
    for (let at = text.indexOf(head, floor); at !== -1 && at < start; at = text.indexOf(head, at + 1)) {
      if (text.length - at >= MIN_CUT_PREFIX_CHARS && pattern.startsWith(text.slice(at))) {
        start = at;
        break;
      }
    }
  }
  return start === text.length ? null : [start, text.length];
}

function deepMap(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === "string") return map(value);
  if (Array.isArray(value)) return value.map((item) => deepMap(item, map));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [map(key), deepMap(item, map)]));
  }
  return value;
}
