import type { BulkItemResults, PayloadFormat } from "./contracts";
import { parseBody } from "./paged-reader";
import { compilePath, readPath, type CompiledPath } from "./paths";
import { scalarText } from "./templates";

// A bulk answer that took the request but refused some of its records (207 Multi-Status, or 200 with an error
// list): which records, by their position in the request, and what the destination said about each.

export interface CompiledItemResults {
  list: CompiledPath;
  serial: CompiledPath | null;
  index: CompiledPath | null;
  status: CompiledPath | null;
  message: CompiledPath | null;
}

export function compileItemResults(spec: BulkItemResults): CompiledItemResults {
  const optional = (path: string | undefined) => (path === undefined ? null : compilePath(path));
  return {
    list: compilePath(spec.path),
    serial: optional(spec.serial_path),
    index: optional(spec.index_path),
    status: optional(spec.status_path),
    message: optional(spec.message_path),
  };
}

export interface RefusedItem {
  // The item's own status when it gives a number; else null.
  status: number | null;
  // What the item says at message_path, else the item itself as JSON.
  message: string;
}

export type ItemVerdict =
  // refused: by position in the request; unmatched: listed items that name no record of the request.
  | { ok: true; refused: Map<number, RefusedItem>; unmatched: number }
  // The answer could not be read where the contract says, so no record can be told written.
  | { ok: false; reason: string };

const REFUSED_WORDS = new Set(["error", "failed", "failure"]);

/** The records of a bulk request (their serials, in request order) that the destination's 2xx answer refused. */
export function readItemResults(spec: CompiledItemResults, format: PayloadFormat, text: string, serials: readonly string[], url: string): ItemVerdict {
  if (text.trim() === "") return { ok: true, refused: new Map(), unmatched: 0 };
  let body: unknown;
  try {
    body = parseBody(text, format, "update", url);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const listed = readPath(body, spec.list);
  if (listed === undefined || listed === null || listed === "") return { ok: true, refused: new Map(), unmatched: 0 };
  // XML has no arrays: a single item parses as an object.
  const items = Array.isArray(listed) ? listed : format === "xml" && typeof listed === "object" ? [listed] : null;
  if (items === null) return { ok: false, reason: `the answer holds no list at "${spec.list.source}"` };

  const positionOf = new Map(serials.map((serial, i) => [serial, i]));
  const refused = new Map<number, RefusedItem>();
  let unmatched = 0;
  items.forEach((item, i) => {
    const status = spec.status === null ? undefined : readPath(item, spec.status);
    if (spec.status !== null && !isRefusal(status)) return;
    const position = positionIn(spec, item, i, positionOf, serials.length);
    if (position === null) {
      unmatched += 1;
      return;
    }
    const said = spec.message === null ? undefined : scalarText(readPath(item, spec.message));
    refused.set(position, { status: numericStatus(status), message: said ?? JSON.stringify(item) ?? String(item) });
  });
  return { ok: true, refused, unmatched };
}

function positionIn(spec: CompiledItemResults, item: unknown, i: number, positionOf: Map<string, number>, count: number): number | null {
  if (spec.serial !== null) {
    const serial = scalarText(readPath(item, spec.serial))?.trim();
    return serial === undefined ? null : (positionOf.get(serial) ?? null);
  }
  const at = spec.index === null ? i : Number(scalarText(readPath(item, spec.index)));
  return Number.isInteger(at) && at >= 0 && at < count ? at : null;
}

function isRefusal(status: unknown): boolean {
  if (status === false) return true;
  const code = numericStatus(status);
  if (code !== null) return code < 200 || code > 299;
  return typeof status === "string" && REFUSED_WORDS.has(status.trim().toLowerCase());
}

function numericStatus(status: unknown): number | null {
  const text = scalarText(status)?.trim();
  return text !== undefined && /^\d{3}$/.test(text) ? Number(text) : null;
}
