import { parsePath, readPath, type CompiledPath } from "./paths";

// "{path}" placeholders, "{{" and "}}" for literal braces. Compiled once into literal/placeholder runs.

export interface CompiledTemplate {
  readonly source: string;
  readonly literals: readonly string[];
  readonly placeholders: readonly CompiledPath[];
}

export class TemplateSyntaxError extends Error {
  override readonly name = "TemplateSyntaxError";
  constructor(
    readonly template: string,
    readonly reason: string,
  ) {
    super(`invalid template "${template}": ${reason}`);
  }
}

export type ParseTemplateResult = { ok: true; template: CompiledTemplate } | { ok: false; error: string };

export function parseTemplate(source: string): ParseTemplateResult {
  const literals: string[] = [];
  const placeholders: CompiledPath[] = [];
  let literal = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "}") {
      if (source[i + 1] !== "}") return { ok: false, error: `unmatched "}" at position ${i}` };
      literal += "}";
      i += 2;
      continue;
    }
    if (ch !== "{") {
      literal += ch;
      i += 1;
      continue;
    }
    if (source[i + 1] === "{") {
      literal += "{";
      i += 2;
      continue;
    }
    const close = source.indexOf("}", i + 1);
    const nextOpen = source.indexOf("{", i + 1);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      return { ok: false, error: `"{" at position ${i} is never closed` };
    }
    const name = source.slice(i + 1, close);
    if (name === "") return { ok: false, error: `empty placeholder "{}" at position ${i}` };
    const path = parsePath(name);
    if (!path.ok) return { ok: false, error: `placeholder "{${name}}": ${path.error}` };
    literals.push(literal);
    placeholders.push(path.path);
    literal = "";
    i = close + 1;
  }
  literals.push(literal);
  return { ok: true, template: Object.freeze({ source, literals, placeholders }) };
}

export function compileTemplate(source: string): CompiledTemplate {
  const parsed = parseTemplate(source);
  if (!parsed.ok) throw new TemplateSyntaxError(source, parsed.error);
  return parsed.template;
}

export function placeholderNames(template: CompiledTemplate): string[] {
  return template.placeholders.map((p) => p.source);
}

// Scalars only: an object or a non-finite number has no honest text form.
export function scalarText(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return Number.isFinite(value) ? String(value) : undefined;
    case "boolean":
    case "bigint":
      return String(value);
    default:
      return undefined;
  }
}

export type RenderUrlResult = { ok: true; url: string } | { ok: false; error: string };

// Before its first placeholder a URL template must spell out the scheme, "//", the host and the start of the
// path, query or fragment, with forward slashes (a URL parser reads a backslash as "/"), so no value can
// reach the origin.
const FIXED_ORIGIN_PREFIX = /^[a-z][a-z0-9+.-]*:\/\/[^/\\?#{}]+[/?#]/i;

export function prefixFixesOrigin(textBeforeFirstPlaceholder: string): boolean {
  return FIXED_ORIGIN_PREFIX.test(textBeforeFirstPlaceholder);
}

export function urlTemplateOriginProblem(template: CompiledTemplate): string | null {
  if (template.placeholders.length === 0 || prefixFixesOrigin(template.literals[0]!)) return null;
  return 'placeholders may appear only after the host: start with "https://host/" (forward slashes) before the first placeholder';
}

const templateOrigins = new WeakMap<CompiledTemplate, string | null>();
const fixedOrigins = new WeakMap<CompiledTemplate, boolean>();

function originFixed(template: CompiledTemplate): boolean {
  let fixed = fixedOrigins.get(template);
  if (fixed === undefined) {
    fixed = prefixFixesOrigin(template.literals[0]!) && templateOrigin(template) !== null;
    fixedOrigins.set(template, fixed);
  }
  return fixed;
}

// The origin the text before the first placeholder names; null when it names none.
function templateOrigin(template: CompiledTemplate): string | null {
  let origin = templateOrigins.get(template);
  if (origin === undefined) {
    origin = originOf(template.literals[0]!);
    templateOrigins.set(template, origin);
  }
  return origin;
}

function originOf(url: string): string | null {
  const origin = URL.parse(url)?.origin ?? null;
  return origin === "null" ? null : origin;
}

// "{serial}" is always the record's serial; every other placeholder is read from the destination record.
export function renderUrl(template: CompiledTemplate, serial: string, record: unknown): RenderUrlResult {
  const { literals, placeholders } = template;
  let url = literals[0]!;
  for (let i = 0; i < placeholders.length; i++) {
    const path = placeholders[i]!;
    const raw = path.source === "serial" ? serial : readPath(record, path);
    const text = scalarText(raw);
    if (text === undefined || text === "") {
      const what = raw === undefined || raw === null || raw === "" ? "has no value" : `holds ${describeKind(raw)}`;
      return { ok: false, error: `URL placeholder {${path.source}} ${what}` };
    }
    // encodeURIComponent keeps dots, and URL parsing would resolve a "." or ".." segment into another path.
    if (text === "." || text === "..") {
      return { ok: false, error: `URL placeholder {${path.source}} holds "${text}", which would change the URL path` };
    }
    let encoded: string;
    try {
      encoded = encodeURIComponent(text);
    } catch {
      return { ok: false, error: `URL placeholder {${path.source}} holds text that is not valid Unicode` };
    }
    url += encoded + literals[i + 1]!;
  }
  // Checked again here, not only when the contract was saved: record data must never choose the host. A template
  // whose fixed prefix ends the host needs no parse per record: encoded values hold no "/", "\", "?", "#" or "@".
  if (placeholders.length > 0 && !originFixed(template)) {
    const expected = templateOrigin(template);
    const actual = originOf(url);
    if (expected === null || actual !== expected) {
      const where = actual === null ? "a URL that cannot be parsed" : actual;
      return {
        ok: false,
        error: `url_origin_changed: the URL's placeholders would send the request to ${where} instead of ${expected ?? "the template's fixed host"}`,
      };
    }
  }
  return { ok: true, url };
}

export const UNRENDERABLE: unique symbol = Symbol("unrenderable");

// Text templating for the "template" formatter: no encoding; null when any placeholder has no value
// (so on_null decides), UNRENDERABLE when a placeholder holds an object.
export function renderText(template: CompiledTemplate, record: unknown): string | null | typeof UNRENDERABLE {
  const { literals, placeholders } = template;
  let out = literals[0]!;
  for (let i = 0; i < placeholders.length; i++) {
    const raw = readPath(record, placeholders[i]!);
    if (raw === undefined || raw === null) return null;
    const text = scalarText(raw);
    if (text === undefined) return UNRENDERABLE;
    out += text + literals[i + 1]!;
  }
  return out;
}

export function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number" && !Number.isFinite(value)) return "a non-finite number";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
