// Small language helpers every layer shares; they live in the engine because the engine imports nothing else.

// Ends an exhaustive switch: the compiler proves the default unreachable, and at run time it names what slipped through.
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`);
}

// What a caught value says: an Error's message, anything else as text.
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
