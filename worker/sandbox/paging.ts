// Listing pagination shared by the destination listing and the demo source: page numbers with an
// RFC 8288 Link header, an offset with a limit, an opaque cursor, or the key of the last record seen
// (`starting_after`). Every body also carries next_cursor, next_url and has_more, so a client may use whichever
// style its contract names from the first request on.

export const DEFAULT_PER_PAGE = 100;
export const MAX_PER_PAGE = 500;

export type PageRequest =
  | { kind: "page"; page: number; perPage: number }
  | { kind: "offset"; offset: number; perPage: number }
  // `after`: a sort key, from an opaque cursor or, given as starting_after, a record's own key.
  | { kind: "cursor"; after: string | null; perPage: number; param: "cursor" | "starting_after" };

export type PageRequestResult = { ok: true; request: PageRequest } | { ok: false; param: string; message: string };

export interface PageSlice<T> {
  items: T[];
  total: number;
  hasMore: boolean;
  // Sort key of the last item, from which the next cursor is made.
  lastKey: string | null;
}

export interface PageResponse {
  body: Record<string, unknown>;
  link: string | null;
}

export function parsePageRequest(url: URL): PageRequestResult {
  // `limit` is the offset style's name for the page size.
  const sizeParam = url.searchParams.has("limit") ? "limit" : "per_page";
  const perPageRaw = url.searchParams.get(sizeParam);
  let perPage = DEFAULT_PER_PAGE;
  if (perPageRaw !== null) {
    if (!/^\d+$/.test(perPageRaw) || Number(perPageRaw) < 1) {
      return { ok: false, param: sizeParam, message: `${sizeParam} must be a positive integer (at most ${MAX_PER_PAGE})` };
    }
    // Larger pages are served at the maximum, as most real APIs do.
    perPage = Math.min(Number(perPageRaw), MAX_PER_PAGE);
  }
  const cursor = url.searchParams.get("cursor");
  if (cursor !== null) {
    if (cursor === "") return { ok: true, request: { kind: "cursor", after: null, perPage, param: "cursor" } };
    const after = decodeCursor(cursor);
    if (after === null) return { ok: false, param: "cursor", message: "cursor is not one this API issued" };
    return { ok: true, request: { kind: "cursor", after, perPage, param: "cursor" } };
  }
  const startingAfter = url.searchParams.get("starting_after");
  if (startingAfter !== null)
    return { ok: true, request: { kind: "cursor", after: startingAfter === "" ? null : startingAfter, perPage, param: "starting_after" } };
  const offsetRaw = url.searchParams.get("offset");
  if (offsetRaw !== null) {
    if (!/^\d{1,9}$/.test(offsetRaw)) return { ok: false, param: "offset", message: "offset must be an integer of at least 0" };
    return { ok: true, request: { kind: "offset", offset: Number(offsetRaw), perPage } };
  }
  const pageRaw = url.searchParams.get("page");
  if (pageRaw !== null && (!/^\d+$/.test(pageRaw) || Number(pageRaw) < 1)) {
    return { ok: false, param: "page", message: "page must be an integer of at least 1" };
  }
  return { ok: true, request: { kind: "page", page: pageRaw === null ? 1 : Number(pageRaw), perPage } };
}

export function buildPageResponse<T>(url: URL, recordsKey: string, request: PageRequest, slice: PageSlice<T>): PageResponse {
  const nextCursor = slice.hasMore && slice.lastKey !== null ? encodeCursor(slice.lastKey) : null;
  const next = new URL(url);
  let nextUrl: string | null = null;
  let paging: Record<string, unknown>;
  if (request.kind === "page") {
    paging = { page: request.page, per_page: request.perPage, total: slice.total, total_pages: Math.ceil(slice.total / request.perPage) };
    if (slice.hasMore) {
      next.searchParams.set("page", String(request.page + 1));
      nextUrl = next.toString();
    }
  } else if (request.kind === "offset") {
    paging = { offset: request.offset, limit: request.perPage, total: slice.total };
    if (slice.hasMore) {
      next.searchParams.set("offset", String(request.offset + slice.items.length));
      nextUrl = next.toString();
    }
  } else {
    paging = { per_page: request.perPage, total: slice.total };
    if (nextCursor !== null) {
      next.searchParams.delete("page");
      if (request.param === "cursor") next.searchParams.set("cursor", nextCursor);
      else next.searchParams.set("starting_after", slice.lastKey!);
      nextUrl = next.toString();
    }
  }
  return {
    body: { [recordsKey]: slice.items, ...paging, has_more: slice.hasMore, next_cursor: nextCursor, next_url: nextUrl },
    link: nextUrl === null ? null : `<${nextUrl}>; rel="next"`,
  };
}

/** Where a page or offset request starts in the whole listing. */
export function startOf(request: Exclude<PageRequest, { kind: "cursor" }>): number {
  return request.kind === "page" ? (request.page - 1) * request.perPage : request.offset;
}

export function encodeCursor(key: string): string {
  return btoa(`k:${key}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const padded = cursor
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(cursor.length / 4) * 4, "=");
  let decoded: string;
  try {
    decoded = atob(padded);
  } catch (err) {
    if (err instanceof DOMException) return null;
    throw err;
  }
  return decoded.startsWith("k:") ? decoded.slice(2) : null;
}
