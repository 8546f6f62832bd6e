// What changed between two configuration snapshots, as leaf paths in the API's own notation
// ("config.mapping[2].formatter"), so a change reads the same as a validation error about it.

export type DiffKind = "added" | "removed" | "changed";

export interface DiffEntry {
  path: string;
  kind: DiffKind;
  before: unknown;
  after: unknown;
}

type Leaves = Map<string, unknown>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  // Header names and map keys may hold dots or spaces; quote them so the path stays unambiguous.
  const plain = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key);
  if (!plain) return `${parent}[${JSON.stringify(key)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

function collect(value: unknown, path: string, out: Leaves): void {
  if (Array.isArray(value)) {
    // An empty list or object is a value of its own; otherwise only its leaves are.
    if (value.length === 0) out.set(path, value);
    value.forEach((item, index) => collect(item, childPath(path, index), out));
    return;
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 && path !== "") out.set(path, value);
    for (const key of keys) collect(value[key], childPath(path, key), out);
    return;
  }
  out.set(path, value);
}

function leaves(value: unknown): Leaves {
  const out: Leaves = new Map();
  collect(value, "", out);
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function diffSnapshots(before: unknown, after: unknown): DiffEntry[] {
  const old = leaves(before);
  const next = leaves(after);
  const entries: DiffEntry[] = [];
  for (const [path, value] of next) {
    if (!old.has(path)) entries.push({ path, kind: "added", before: undefined, after: value });
    else if (!sameValue(old.get(path), value)) entries.push({ path, kind: "changed", before: old.get(path), after: value });
  }
  for (const [path, value] of old) {
    if (!next.has(path)) entries.push({ path, kind: "removed", before: value, after: undefined });
  }
  // Document order of the newer snapshot first, then what disappeared, as the reader scans top to bottom.
  return entries;
}

export function formatDiffValue(value: unknown): string {
  if (value === undefined) return "—";
  if (typeof value === "string") return JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
