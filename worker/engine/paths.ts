// Dot paths with array indexes ("data.devices", "items[0].id", "" = root), compiled once and read without
// re-parsing. Plain keys are letters, digits, "_", "$", "@", ":" and "-"; any other key is quoted as a JSON string
// in brackets, as CSV headers and APIs such as Airtable name fields: ["Serial Number"], fields["Last seen (UTC)"].

export type PathSegment = string | number;

export interface CompiledPath {
  readonly source: string;
  readonly segments: readonly PathSegment[];
  readonly hasIndex: boolean;
}

export class PathSyntaxError extends Error {
  override readonly name = "PathSyntaxError";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`invalid path "${path}": ${reason}`);
  }
}

export type ParsePathResult = { ok: true; path: CompiledPath } | { ok: false; error: string };

const KEY_CHAR = /[\p{L}\p{N}_$@:-]/u;
// Keys that would walk into Object.prototype when read or written.
const FORBIDDEN_KEYS = new Set(["__proto__", "prototype", "constructor"]);
const ROOT: CompiledPath = Object.freeze({ source: "", segments: Object.freeze([]), hasIndex: false });

export function parsePath(source: string): ParsePathResult {
  if (source === "") return { ok: true, path: ROOT };
  const segments: PathSegment[] = [];
  let hasIndex = false;
  let i = 0;
  let expectKey = true;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "[" && source[i + 1] === '"') {
      const quoted = readQuotedKey(source, i);
      if (!quoted.ok) return fail(quoted.error);
      if (FORBIDDEN_KEYS.has(quoted.key)) return fail(`key "${quoted.key}" is not allowed`);
      segments.push(quoted.key);
      i = quoted.end;
      expectKey = false;
      continue;
    }
    if (ch === "[") {
      const close = source.indexOf("]", i + 1);
      if (close === -1) return fail(`"[" at position ${i} is never closed`);
      const digits = source.slice(i + 1, close);
      if (!/^(0|[1-9][0-9]*)$/.test(digits)) return fail(`index "[${digits}]" must be a non-negative integer`);
      const index = Number(digits);
      if (!Number.isSafeInteger(index)) return fail(`index "[${digits}]" is too large`);
      segments.push(index);
      hasIndex = true;
      i = close + 1;
      expectKey = false;
      continue;
    }
    if (ch === ".") {
      if (expectKey) return fail(`empty key at position ${i}`);
      if (i === source.length - 1) return fail('path ends with "."');
      i += 1;
      expectKey = true;
      continue;
    }
    if (ch === "]") return fail(`unexpected "]" at position ${i}`);
    let end = i;
    // Keys may hold astral letters, so step by code point.
    while (end < source.length) {
      const cp = source.codePointAt(end)!;
      const char = String.fromCodePoint(cp);
      if (!KEY_CHAR.test(char)) break;
      end += char.length;
    }
    if (end === i) return fail(`character ${JSON.stringify(ch)} at position ${i} is not allowed in a key`);
    if (!expectKey) return fail(`expected "." or "[" before position ${i}`);
    const key = source.slice(i, end);
    if (FORBIDDEN_KEYS.has(key)) return fail(`key "${key}" is not allowed`);
    segments.push(key);
    i = end;
    expectKey = false;
  }
  return { ok: true, path: Object.freeze({ source, segments: Object.freeze(segments), hasIndex }) };

  function fail(reason: string): ParsePathResult {
    return { ok: false, error: reason };
  }
}

// `["…"]` at `open`: a JSON string (so \" and \\ escape) closed by a bracket.
function readQuotedKey(source: string, open: number): { ok: true; key: string; end: number } | { ok: false; error: string } {
  let i = open + 2;
  while (i < source.length && source[i] !== '"') i += source[i] === "\\" ? 2 : 1;
  if (i >= source.length) return { ok: false, error: `the quoted key at position ${open} is never closed` };
  if (source[i + 1] !== "]") return { ok: false, error: `expected "]" after the quoted key at position ${open}` };
  let key: string;
  try {
    key = JSON.parse(source.slice(open + 1, i + 1)) as string;
  } catch {
    return { ok: false, error: `the quoted key at position ${open} is not a valid JSON string` };
  }
  if (key === "") return { ok: false, error: `empty quoted key at position ${open}` };
  return { ok: true, key, end: i + 2 };
}

export function compilePath(source: string): CompiledPath {
  const parsed = parsePath(source);
  if (!parsed.ok) throw new PathSyntaxError(source, parsed.error);
  return parsed.path;
}

// Reads own properties only, so "toString" or "length" never resolve to something the record does not hold.
export function readPath(value: unknown, path: CompiledPath): unknown {
  const segments = path.segments;
  let current = value;
  for (let i = 0; i < segments.length; i++) {
    if (typeof current !== "object" || current === null) return undefined;
    const segment = segments[i]!;
    if (typeof segment === "number") {
      if (!Array.isArray(current) || segment >= current.length) return undefined;
      current = current[segment];
    } else {
      if (Array.isArray(current) || !Object.hasOwn(current, segment)) return undefined;
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return current;
}

// Builds nested payloads; a scalar in the way is replaced, since a payload path wins over a stale value.
export function setPath(target: Record<string, unknown>, path: CompiledPath, value: unknown): void {
  const segments = path.segments;
  if (segments.length === 0) throw new PathSyntaxError(path.source, "cannot set the root");
  let current: Record<string | number, unknown> = target;
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    let next = current[segment];
    if (typeof next !== "object" || next === null) {
      next = typeof segments[i + 1] === "number" ? [] : {};
      current[segment] = next;
    }
    current = next as Record<string | number, unknown>;
  }
  current[segments[segments.length - 1]!] = value;
}
