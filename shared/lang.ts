// Small language helpers the worker, the engine and the browser share; shared/ imports nothing, so every layer may load it.

// Ends an exhaustive switch: the compiler proves the default unreachable, and at run time it names what slipped through.
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
}

// What a caught value says: an Error's message, anything else as text.
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// The keys of a table keyed by a union, in the table's order: a list derived from a table the compiler holds complete.
export function keysOf<K extends string>(table: Record<K, unknown>): K[] {
  return Object.keys(table) as K[];
}
