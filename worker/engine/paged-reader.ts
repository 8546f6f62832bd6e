import { csvColumnOf, LIMIT_DEFAULTS, type Pagination, type PayloadFormat, type SourceFormat } from "./contracts";
import { cutExcerpt, EngineError, describeRequest, type RequestPhase } from "./errors";
import { readCsvBody, readNdjsonBody, UnreadableLine } from "./export-bodies";
import { acceptsRangeAnswer, firstRange, rangeHeader, readRangeChunk, type RangePosition } from "./range-pages";
import type { HeaderMap, HttpClient } from "./http-client";
import { compilePath, readPath, type CompiledPath } from "./paths";
import { scalarText } from "./templates";
import { parseXml } from "./xml";
import { errorMessage } from "../../shared/lang";

// Where the next request of a paged read goes. Plain JSON, so a coordinator can checkpoint it and resume.
export type PagePosition =
  | { style: "none" }
  | { style: "page"; page: number }
  | { style: "offset"; offset: number }
  | { style: "cursor"; cursor: string | null }
  | { style: "keyset"; after: string | null }
  | { style: "link"; url: string | null }
  | RangePosition;

export interface PageState {
  position: PagePosition;
  pages_read: number;
  // Identifies the previous page, so an endpoint that ignores the page parameter cannot loop forever.
  last_signature: string | null;
}

export interface PagedReadSpec {
  // "readback": a listing read again to verify the writes of a job.
  phase: Extract<RequestPhase, "source" | "listing" | "readback">;
  url: string;
  headers?: HeaderMap;
  pagination: Pagination;
  // A destination listing is JSON or XML; a source may also be an NDJSON or CSV export.
  format: SourceFormat;
  records_path: string;
  serial_path: string;
  updated_at_path?: string;
  // Added to every URL the reader builds (not to next links, which the endpoint writes itself).
  query?: Record<string, string>;
  // Loop detection only catches a repeated page; this ends an endpoint that offers fresh pages forever.
  max_pages?: number;
}

export const DEFAULT_MAX_PAGES = LIMIT_DEFAULTS.max_pages;

// The endpoint fields a list-mode fetch contract and a source contract both carry, picked in one place.
export type PagedEndpoint = Pick<PagedReadSpec, "url" | "headers" | "pagination" | "format" | "records_path" | "serial_path">;

export function pagedReadSpec(
  phase: PagedReadSpec["phase"],
  endpoint: PagedEndpoint,
  extra: Pick<PagedReadSpec, "updated_at_path" | "query" | "max_pages"> = {},
): PagedReadSpec {
  return {
    phase,
    url: endpoint.url,
    headers: endpoint.headers,
    pagination: endpoint.pagination,
    format: endpoint.format,
    records_path: endpoint.records_path,
    serial_path: endpoint.serial_path,
    ...extra,
  };
}

export interface ReadRecord {
  serial: string;
  record: Record<string, unknown>;
  updatedAt?: string;
}

export interface UnreadableRecord {
  index: number;
  reason: string;
  excerpt: string;
}

export interface PageFetch {
  url: string;
  status: number;
  attempts: number;
  bytes_sent: number;
  bytes_received: number;
  duration_ms: number;
}

export interface RecordPage {
  records: ReadRecord[];
  unreadable: UnreadableRecord[];
  // The records the whole read will return, when the API says so in an X-Total-Count header; else null.
  total: number | null;
  // null once the last page has been read.
  nextState: PageState | null;
  fetch: PageFetch;
}

export function initialPageState(pagination: Pagination): PageState {
  return { position: firstPosition(pagination), pages_read: 0, last_signature: null };
}

function firstPosition(pagination: Pagination): PagePosition {
  switch (pagination.style) {
    case "none":
      return { style: "none" };
    case "page":
      return { style: "page", page: pagination.first_page };
    case "offset":
      return { style: "offset", offset: pagination.first_offset };
    case "cursor":
      return { style: "cursor", cursor: null };
    case "keyset":
      return { style: "keyset", after: null };
    case "link":
      return { style: "link", url: null };
    case "range":
      return firstRange();
  }
}

interface CompiledSpec {
  records: CompiledPath;
  serial: CompiledPath;
  updatedAt: CompiledPath | null;
  nextCursor: CompiledPath | null;
  nextUrl: CompiledPath | null;
  key: CompiledPath | null;
  hasMore: CompiledPath | null;
}

function compileSpec(spec: PagedReadSpec): CompiledSpec {
  const { pagination } = spec;
  return {
    records: compilePath(spec.records_path),
    serial: compilePath(spec.serial_path),
    updatedAt: spec.updated_at_path === undefined ? null : compilePath(spec.updated_at_path),
    nextCursor: pagination.style === "cursor" ? compilePath(pagination.next_cursor_path) : null,
    nextUrl: pagination.style === "link" && pagination.next_url_path !== undefined ? compilePath(pagination.next_url_path) : null,
    key: pagination.style === "keyset" ? compilePath(pagination.key_path) : null,
    hasMore: pagination.style === "keyset" && pagination.has_more_path !== undefined ? compilePath(pagination.has_more_path) : null,
  };
}

export const ACCEPT_HEADER: Record<SourceFormat, string> = {
  json: "application/json",
  xml: "application/xml, text/xml;q=0.9",
  ndjson: "application/x-ndjson, application/jsonl;q=0.9",
  csv: "text/csv",
};

// `prefetch`: while it answers true, the next page is requested as soon as its position is known, while the caller
// stores this one, so the destination's time and the caller's overlap. A prefetched page never asked for is aborted.
export async function* readRecordPages(
  client: HttpClient,
  spec: PagedReadSpec,
  from: PageState | null = null,
  signal?: AbortSignal,
  options: { prefetch?: () => boolean } = {},
): AsyncGenerator<RecordPage, void, undefined> {
  const paths = compileSpec(spec);
  const maxPages = spec.max_pages ?? DEFAULT_MAX_PAGES;
  const unused = new AbortController();
  const prefetchSignal = signal === undefined ? unused.signal : AbortSignal.any([signal, unused.signal]);
  const get = ({ url, range }: PageRequest, requestSignal: AbortSignal | undefined) =>
    client.request({
      method: "GET",
      url,
      headers: { accept: ACCEPT_HEADER[spec.format], ...spec.headers, ...(range === null ? {} : { range }) },
      signal: requestSignal,
      phase: spec.phase,
      // A range counts bytes of the file as stored, so a compressed one is never read in ranges (refused at the contract).
      ...(range === null ? { gunzipFiles: true } : { accept: acceptsRangeAnswer }),
    });
  let prefetched: { key: string; response: ReturnType<typeof get> } | null = null;
  let state: PageState | null = from ?? initialPageState(spec.pagination);
  try {
    while (state !== null) {
      // pages_read is checkpointed with the position, so a resumed read keeps counting.
      if (state.pages_read >= maxPages) {
        throw new EngineError({
          code: "too_many_pages",
          message: `${describeRequest("GET", spec.url)} still had more pages after ${maxPages} pages (the connection's page limit)`,
          phase: spec.phase,
        });
      }
      const request = pageRequest(spec, state.position);
      const ahead = prefetched?.key === requestKey(request) ? prefetched.response : null;
      prefetched = null;
      const response = await (ahead ?? get(request, signal));
      const page = readPage(spec, paths, state, request.url, response);
      const nextState = page.nextState;
      if (nextState !== null && nextState.pages_read < maxPages && options.prefetch?.() === true) {
        const next = pageRequest(spec, nextState.position);
        const early = get(next, prefetchSignal);
        // Its failure is the next page's, raised when that page is asked for (or never, when it is not).
        early.catch(() => undefined);
        prefetched = { key: requestKey(next), response: early };
      }
      yield page;
      state = nextState;
    }
  } finally {
    if (prefetched !== null) unused.abort(new Error("the paged read ended before this page was asked for"));
  }
}

function readPage(spec: PagedReadSpec, paths: CompiledSpec, state: PageState, url: string, response: Awaited<ReturnType<HttpClient["request"]>>): RecordPage {
  const fetch: PageFetch = {
    url,
    status: response.status,
    attempts: response.attempts,
    bytes_sent: response.bytesSent,
    bytes_received: response.bytesReceived,
    duration_ms: response.durationMs,
  };
  if (state.position.style === "range") return readRangePage(spec, paths, state, state.position, url, response, fetch);
  const { body, items } = readItems(spec, paths, response.text, url);
  const { records, unreadable } = readRecords(items, paths);

  const signature = pageSignature(items.length, records);
  if (signature !== null && signature === state.last_signature) {
    throw new EngineError({
      code: "pagination_loop",
      message: `Page ${state.pages_read + 1} from ${url} repeats the previous page`,
      phase: spec.phase,
    });
  }
  const total = totalCount(response.headers.get("x-total-count"));
  const position = nextPosition(spec, paths, state.position, { url, body, items, link: response.headers.get("link"), total });
  const nextState: PageState | null = position === null ? null : { position, pages_read: state.pages_read + 1, last_signature: signature };
  return { records, unreadable, total, nextState, fetch };
}

// A range of one export: its position moves by the bytes of the whole records it held, so no page can repeat.
function readRangePage(
  spec: PagedReadSpec,
  paths: CompiledSpec,
  state: PageState,
  position: RangePosition,
  url: string,
  response: Awaited<ReturnType<HttpClient["request"]>>,
  fetch: PageFetch,
): RecordPage {
  if (spec.pagination.style !== "range" || (spec.format !== "ndjson" && spec.format !== "csv")) {
    throw new Error("a range position needs range pagination over an NDJSON or CSV export");
  }
  const chunk = readRangeChunk(response, position, {
    format: spec.format,
    chunkBytes: spec.pagination.chunk_bytes,
    serialColumn: csvColumnOf(spec.serial_path) ?? spec.serial_path,
    url,
    phase: spec.phase,
  });
  const { records, unreadable } = readRecords(chunk.items, paths);
  const nextState = chunk.next === null ? null : { position: chunk.next, pages_read: state.pages_read + 1, last_signature: null };
  return { records, unreadable, total: null, nextState, fetch };
}

function totalCount(header: string | null): number | null {
  const value = header?.trim() ?? "";
  return /^\d{1,15}$/.test(value) ? Number(value) : null;
}

interface PageRequest {
  url: string;
  // The Range header of a range read; null otherwise.
  range: string | null;
}

function pageRequest(spec: PagedReadSpec, position: PagePosition): PageRequest {
  const range = position.style === "range" && spec.pagination.style === "range" ? rangeHeader(position, spec.pagination.chunk_bytes) : null;
  return { url: pageUrl(spec, position), range };
}

function requestKey(request: PageRequest): string {
  return request.range === null ? request.url : `${request.url} ${request.range}`;
}

function pageUrl(spec: PagedReadSpec, position: PagePosition): string {
  if (position.style === "link" && position.url !== null) return position.url;
  const url = new URL(spec.url);
  for (const [name, value] of Object.entries(spec.query ?? {})) url.searchParams.set(name, value);
  const { pagination } = spec;
  if (position.style === "page" && pagination.style === "page") {
    url.searchParams.set(pagination.page_param, String(position.page));
    if (pagination.size_param !== undefined) url.searchParams.set(pagination.size_param, String(pagination.page_size));
  }
  if (position.style === "offset" && pagination.style === "offset") {
    url.searchParams.set(pagination.offset_param, String(position.offset));
    if (pagination.limit_param !== undefined) url.searchParams.set(pagination.limit_param, String(pagination.page_size));
  }
  if (position.style === "cursor" && pagination.style === "cursor" && position.cursor !== null) {
    url.searchParams.set(pagination.cursor_param, position.cursor);
  }
  if (position.style === "keyset" && pagination.style === "keyset" && position.after !== null) {
    url.searchParams.set(pagination.after_param, position.after);
  }
  return url.toString();
}

// The page's records, and its body where paging reads a cursor, link or flag from it (JSON and XML only).
function readItems(spec: PagedReadSpec, paths: CompiledSpec, text: string, url: string): { body: unknown; items: unknown[] } {
  if (spec.format === "ndjson") return { body: null, items: readNdjsonBody(text) };
  if (spec.format === "csv") {
    return { body: null, items: readCsvBody(text, csvColumnOf(spec.serial_path) ?? spec.serial_path, { url, phase: spec.phase }) };
  }
  const body = parseBody(text, spec.format, spec.phase, url);
  return { body, items: recordArray(body, paths.records, spec, url) };
}

export function parseBody(text: string, format: PayloadFormat, phase: RequestPhase, url: string): unknown {
  try {
    return format === "json" ? JSON.parse(text) : parseXml(text);
  } catch (error) {
    const reason = errorMessage(error);
    const shown = text.trim() === "" ? "an empty body" : `a body that is not ${format.toUpperCase()} (${reason})`;
    throw new EngineError({
      code: "unparseable_response",
      message: `${new URL(url).pathname} returned ${shown}`,
      phase,
      cause: error,
    });
  }
}

function recordArray(body: unknown, path: CompiledPath, spec: PagedReadSpec, url: string): unknown[] {
  const value = readPath(body, path);
  if (Array.isArray(value)) return value;
  if (spec.format === "xml") {
    // XML has no arrays: one child parses as an object, none as "" or nothing at all.
    if (value !== null && typeof value === "object") return [value];
    const parent = { ...path, segments: path.segments.slice(0, -1) };
    if ((value === undefined || value === "") && readPath(body, parent) !== undefined) return [];
  }
  throw new EngineError({
    code: "invalid_response_shape",
    message: `${new URL(url).pathname}: no record list at "${spec.records_path}" (found ${kindOf(value)})`,
    phase: spec.phase,
  });
}

function readRecords(items: unknown[], paths: CompiledSpec) {
  const records: ReadRecord[] = [];
  const unreadable: UnreadableRecord[] = [];
  items.forEach((item, index) => {
    if (item instanceof UnreadableLine) {
      unreadable.push({ index, reason: item.reason, excerpt: item.excerpt });
      return;
    }
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      unreadable.push({ index, reason: `record is a ${kindOf(item)}, not an object`, excerpt: shortJson(item) });
      return;
    }
    const record = item as Record<string, unknown>;
    const serial = scalarText(readPath(record, paths.serial))?.trim();
    if (serial === undefined || serial === "") {
      unreadable.push({ index, reason: `no serial at "${paths.serial.source}"`, excerpt: shortJson(record) });
      return;
    }
    const updatedAt = paths.updatedAt === null ? undefined : scalarText(readPath(record, paths.updatedAt));
    records.push(updatedAt === undefined ? { serial, record } : { serial, record, updatedAt });
  });
  return { records, unreadable };
}

function pageSignature(count: number, records: ReadRecord[]): string | null {
  if (count === 0) return null;
  return `${count}:${records[0]?.serial ?? ""}:${records.at(-1)?.serial ?? ""}`;
}

interface PageResult {
  url: string;
  body: unknown;
  items: unknown[];
  link: string | null;
  // The X-Total-Count header's, when the endpoint sends it.
  total: number | null;
}

function nextPosition(spec: PagedReadSpec, paths: CompiledSpec, position: PagePosition, page: PageResult): PagePosition | null {
  const { pagination } = spec;
  switch (position.style) {
    case "none":
      return null;
    case "page": {
      if (page.items.length === 0) return null;
      // Without a size parameter the endpoint picks its own page size, so only an empty page proves the end.
      if (pagination.style === "page" && pagination.size_param !== undefined && page.items.length < pagination.page_size) {
        return null;
      }
      return { style: "page", page: position.page + 1 };
    }
    case "offset": {
      if (page.items.length === 0) return null;
      // The next offset follows what came, not what was asked: an endpoint that serves fewer than the limit
      // (its own maximum) skips nothing. A page shorter than the limit ends the read unless the endpoint's total
      // says more follow; a total never ends a full page's read, since a total that undercounts would drop records.
      const next = position.offset + page.items.length;
      const short = pagination.style === "offset" && pagination.limit_param !== undefined && page.items.length < pagination.page_size;
      if (short && !(page.total !== null && next < page.total)) return null;
      return { style: "offset", offset: next };
    }
    case "cursor": {
      const next = paths.nextCursor === null ? undefined : scalarText(readPath(page.body, paths.nextCursor));
      if (next === undefined || next === "") return null;
      if (next === position.cursor) {
        throw new EngineError({
          code: "pagination_loop",
          message: `${new URL(page.url).pathname} returned the cursor it was asked for ("${next}")`,
          phase: spec.phase,
        });
      }
      return { style: "cursor", cursor: next };
    }
    case "keyset": {
      if (page.items.length === 0) return null;
      // Only a plain "no" ends the read early: a missing or unreadable flag leaves it to the empty page.
      if (paths.hasMore !== null && ["false", "0"].includes(scalarText(readPath(page.body, paths.hasMore)) ?? "")) return null;
      const last = page.items.at(-1);
      const key = paths.key === null || last === null || typeof last !== "object" ? undefined : scalarText(readPath(last, paths.key));
      if (key === undefined || key === "") {
        throw new EngineError({
          code: "invalid_response_shape",
          message: `${new URL(page.url).pathname}: the page's last record has no key at "${paths.key?.source ?? ""}" to ask for the next page with`,
          phase: spec.phase,
        });
      }
      if (key === position.after) {
        throw new EngineError({
          code: "pagination_loop",
          message: `${new URL(page.url).pathname} ended its page with the key it was asked to start after ("${key}")`,
          phase: spec.phase,
        });
      }
      return { style: "keyset", after: key };
    }
    case "range":
      // Read by readRangePage, which moves the position by the bytes it read.
      return null;
    case "link": {
      const raw = paths.nextUrl === null ? nextLink(page.link) : scalarText(readPath(page.body, paths.nextUrl));
      if (raw === undefined || raw === null || raw === "") return null;
      const next = resolveNextUrl(raw, page.url, spec);
      if (next === page.url) {
        throw new EngineError({
          code: "pagination_loop",
          message: `${new URL(page.url).pathname} links to itself as the next page`,
          phase: spec.phase,
        });
      }
      return { style: "link", url: next };
    }
  }
}

// Headers (credentials included) go only where the contract points, never to an origin a response names.
function resolveNextUrl(raw: string, current: string, spec: PagedReadSpec): string {
  let next: URL;
  try {
    next = new URL(raw, current);
  } catch {
    throw new EngineError({ code: "invalid_response_shape", message: `Next page link "${raw}" is not a URL`, phase: spec.phase });
  }
  if (next.origin !== new URL(spec.url).origin) {
    throw new EngineError({
      code: "invalid_response_shape",
      message: `Next page link points to ${next.origin}, outside the contract's ${new URL(spec.url).origin}`,
      phase: spec.phase,
    });
  }
  return next.toString();
}

// RFC 8288: `<url>; rel="next", <url>; rel="last"`; rel may list several space-separated types.
// One pass with indexOf, no regular expression: a hostile megabyte-long header costs linear time.
export function nextLink(header: string | null): string | null {
  if (header === null) return null;
  let at = 0;
  while (at < header.length) {
    const open = header.indexOf("<", at);
    if (open === -1) return null;
    const close = header.indexOf(">", open + 1);
    if (close === -1) return null;
    const target = header.slice(open + 1, close);
    const params = readLinkParams(header, close + 1);
    if (params.rel !== null && params.rel.toLowerCase().split(/\s+/).includes("next")) return target;
    at = params.end;
  }
  return null;
}

// Reads `; name=value; name="quoted, value"` up to the comma that ends this link.
function readLinkParams(header: string, from: number): { rel: string | null; end: number } {
  let rel: string | null = null;
  let at = from;
  while (at < header.length) {
    const char = header[at];
    if (char === ",") return { rel, end: at + 1 };
    if (char !== ";") {
      at += 1;
      continue;
    }
    const nameEnd = nextOf(header, at + 1, "=;,");
    const name = header
      .slice(at + 1, nameEnd)
      .trim()
      .toLowerCase();
    at = nameEnd;
    if (header[at] !== "=") continue;
    let valueStart = at + 1;
    while (header[valueStart] === " " || header[valueStart] === "\t") valueStart += 1;
    let value: string;
    if (header[valueStart] === '"') {
      const quoteEnd = header.indexOf('"', valueStart + 1);
      const end = quoteEnd === -1 ? header.length : quoteEnd;
      value = header.slice(valueStart + 1, end);
      at = end + 1;
    } else {
      const end = nextOf(header, valueStart, ";,");
      value = header.slice(valueStart, end).trim();
      at = end;
    }
    // The first rel counts (RFC 8288 §3.3).
    if (name === "rel" && rel === null) rel = value;
  }
  return { rel, end: header.length };
}

// Index of the first of `stops` at or after `from`, or the end of the text.
function nextOf(text: string, from: number, stops: string): number {
  let at = from;
  while (at < text.length && !stops.includes(text[at]!)) at += 1;
  return at;
}

function kindOf(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  return typeof value;
}

function shortJson(value: unknown): string {
  return cutExcerpt(JSON.stringify(value) ?? String(value));
}
