import type { IfMatch } from "./contracts";
import { compilePath, readPath, type CompiledPath } from "./paths";
import { scalarText } from "./templates";

// Optimistic concurrency (update.if_match): each write carries the version its lookup read, so a destination that
// changed the record since answers 412 instead of taking a write decided on what is no longer there.

export interface CompiledIfMatch {
  readonly from: IfMatch["from"];
  readonly path: CompiledPath | null;
  readonly source: string;
}

export function compileIfMatch(ifMatch: IfMatch): CompiledIfMatch {
  return Object.freeze({ from: ifMatch.from, path: ifMatch.path === undefined ? null : compilePath(ifMatch.path), source: ifMatch.path ?? "" });
}

// RFC 9110 entity-tag: an optional W/ and a quoted string of visible characters other than the quote itself.
const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e\x80-\xff]*"$/;

export type IfMatchValue = { ok: true; value: string } | { ok: false; error: string };

/** The If-Match header value for a write: the lookup's ETag header, or the record's version field as an entity tag. */
export function ifMatchValue(ifMatch: CompiledIfMatch, destination: unknown, etagHeader: string | null): IfMatchValue {
  const raw = ifMatch.from === "etag_header" ? etagHeader : scalarText(readPath(destination, ifMatch.path!));
  const text = raw?.trim() ?? "";
  if (text === "") {
    return {
      ok: false,
      error:
        ifMatch.from === "etag_header"
          ? "The lookup's answer had no ETag header to send as If-Match, so the write was not sent"
          : `The destination record has no version at "${ifMatch.source}" to send as If-Match, so the write was not sent`,
    };
  }
  const tag = text.startsWith('"') || text.startsWith('W/"') ? text : `"${text}"`;
  if (!ENTITY_TAG.test(tag))
    return {
      ok: false,
      error: `The record's version ${JSON.stringify(text.slice(0, 100))} is not an entity tag If-Match can carry, so the write was not sent`,
    };
  return { ok: true, value: tag };
}
