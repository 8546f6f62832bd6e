import { validationError } from "./errors";

// Cursors are opaque to callers: base64url of a small JSON array of the sort key where a page ended.
export function encodeCursor(values: Array<string | number>): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(JSON.stringify(values))) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The decoded key, or a 400 naming `cursor` when it is not one this API handed out. */
export function decodeCursor<T extends Array<string | number>>(cursor: string | undefined, isShape: (value: unknown) => value is T): T | null {
  if (cursor === undefined) return null;
  const value = parseCursor(cursor);
  if (isShape(value)) return value;
  throw foreignCursor();
}

/** A list paged by its rows' ids hands out the last id as its cursor: anything else is refused as decodeCursor refuses. */
export function idCursor(cursor: string | undefined, prefix: string): string | undefined {
  if (cursor === undefined || (cursor.startsWith(`${prefix}_`) && /^[0-9a-z_]+$/.test(cursor))) return cursor;
  throw foreignCursor();
}

export function foreignCursor() {
  return validationError([{ path: "cursor", message: "not a cursor from this list; pass next_cursor unchanged", in: "query" }], "query");
}

/** One page of rows read with limit + 1: the extra row only says that a next page exists, which starts after the last row kept. */
export function pageOf<T>(rows: readonly T[], limit: number, keyOf: (row: T) => Array<string | number>): { data: T[]; next_cursor: string | null } {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

function parseCursor(cursor: string): unknown {
  try {
    const base64 = cursor.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined; // not base64 or not JSON: refused below like any other foreign cursor
  }
}

export const isStringTuple1 = (v: unknown): v is [string] => Array.isArray(v) && v.length === 1 && typeof v[0] === "string";
export const isNumberTuple1 = (v: unknown): v is [number] => Array.isArray(v) && v.length === 1 && Number.isInteger(v[0]);
