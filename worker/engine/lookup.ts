import type { FetchContract } from "./contracts";
import { EngineError, type RequestPhase } from "./errors";
import type { HttpClient } from "./http-client";
import { ACCEPT_HEADER, pagedReadSpec, parseBody, readRecordPages, type PageFetch, type PageState, type UnreadableRecord } from "./paged-reader";
import { compilePath, readPath, type CompiledPath } from "./paths";
import type { SerialIndex } from "./serial-index";
import { compileTemplate, renderUrl, scalarText } from "./templates";

export type PerSerialFetchContract = Extract<FetchContract, { mode: "per_serial" }>;
export type ListFetchContract = Extract<FetchContract, { mode: "list" }>;

// Every way a serial ends up Missing Destination, so the record outcome can say which.
export const MISSING_REASONS = ["not_found", "empty_response", "serial_mismatch", "not_in_listing"] as const;
export type MissingReason = (typeof MISSING_REASONS)[number];

// A per-serial lookup's answer may carry the record's version as its ETag header (sent back as If-Match).
export type LookupOutcome =
  | { status: "found"; record: unknown; etag?: string | null }
  | { status: "missing"; reason: MissingReason; detail: string }
  | { status: "error"; error: EngineError };

export type LookupFetch = Omit<PageFetch, "url">;

export interface SerialLookup {
  outcome: LookupOutcome;
  // null when no request was made (list mode reads the index).
  fetch: LookupFetch | null;
}

const NOT_FOUND_STATUSES = new Set([404, 410]);

export interface LookupBySerialOptions {
  client: HttpClient;
  contract: PerSerialFetchContract;
  serial: string;
  signal?: AbortSignal;
  // "readback" when a written record is read again to verify the write.
  phase?: Extract<RequestPhase, "lookup" | "readback">;
}

// Throws EngineError for anything that is not "found" or "missing"; lookupMany turns those into outcomes.
export async function lookupBySerial(options: LookupBySerialOptions): Promise<SerialLookup> {
  const { client, contract, serial, signal } = options;
  const phase = options.phase ?? "lookup";
  const rendered = renderUrl(compileTemplate(contract.url_template), serial, undefined);
  if (!rendered.ok) {
    throw new EngineError({ code: "invalid_request", message: rendered.error, phase });
  }
  const response = await client.request({
    method: "GET",
    url: rendered.url,
    headers: { accept: ACCEPT_HEADER[contract.format], ...contract.headers },
    signal,
    phase,
    serials: [serial],
    accept: (status) => (status >= 200 && status < 300) || NOT_FOUND_STATUSES.has(status),
  });
  const fetch: LookupFetch = {
    status: response.status,
    attempts: response.attempts,
    bytes_sent: response.bytesSent,
    bytes_received: response.bytesReceived,
    duration_ms: response.durationMs,
  };
  if (NOT_FOUND_STATUSES.has(response.status)) {
    return { outcome: missing("not_found", `lookup returned ${response.status}`), fetch };
  }
  if (response.text.trim() === "") {
    return { outcome: missing("empty_response", `lookup returned ${response.status} with an empty body`), fetch };
  }
  const body = parseBody(response.text, contract.format, phase, rendered.url);
  const outcome = pickRecord(body, contract, serial);
  const etag = response.headers.get("etag");
  return { outcome: outcome.status === "found" && etag !== null ? { ...outcome, etag } : outcome, fetch };
}

function pickRecord(body: unknown, contract: PerSerialFetchContract, serial: string): LookupOutcome {
  const value = readPath(body, compilePath(contract.record_path));
  if (value === undefined || value === null || value === "" || (Array.isArray(value) && value.length === 0)) {
    return missing("empty_response", `no record at "${contract.record_path}" in the lookup response`);
  }
  // A search-style endpoint may answer with a list; the serial decides which entry is ours.
  const candidates: unknown[] = Array.isArray(value) ? value : [value];
  const serialPath = compilePath(contract.serial_path);
  const match = candidates.find((candidate) => serialOf(candidate, serialPath) === serial);
  if (match !== undefined) return { status: "found", record: match };
  const seen = serialOf(candidates[0], serialPath);
  return missing(
    "serial_mismatch",
    seen === undefined
      ? `the destination record has no serial at "${contract.serial_path}"`
      : `the destination record's serial at "${contract.serial_path}" is "${seen}", not "${serial}"`,
  );
}

function serialOf(record: unknown, path: CompiledPath): string | undefined {
  return scalarText(readPath(record, path))?.trim();
}

function missing(reason: MissingReason, detail: string): LookupOutcome {
  return { status: "missing", reason, detail };
}

export interface ListingPage {
  indexed: number;
  // Serials seen twice in one page; the last one wins in the index.
  duplicates: string[];
  unreadable: UnreadableRecord[];
  nextState: PageState | null;
  fetch: PageFetch;
}

export interface BuildListingOptions {
  client: HttpClient;
  contract: ListFetchContract;
  index: SerialIndex;
  resume?: PageState | null;
  signal?: AbortSignal;
  // The connection's limits.max_pages; the default limit when absent.
  maxPages?: number;
  // Whether the next page may be requested ahead (always when absent): no, when the caller stops after this one.
  prefetch?: () => boolean;
  // Resolves once the turn has ended (EngineRuntime.yieldToIo): a page is stored only after the next page's request
  // has left, since a Durable Object holds outgoing requests while its storage writes become durable.
  nextTurn?: () => Promise<void>;
}

// One page per step, each stored before the caller checkpoints its nextState, so that state resumes cleanly. The next
// page is already on its way meanwhile (prefetch): a read cut short reads it again from the checkpoint.
export async function* buildListingIndex(options: BuildListingOptions): AsyncGenerator<ListingPage, void, undefined> {
  const { client, contract, index, signal } = options;
  const spec = pagedReadSpec("listing", contract, { max_pages: options.maxPages });
  const pages = readRecordPages(client, spec, options.resume ?? null, signal, { prefetch: options.prefetch ?? (() => true) });
  for await (const page of pages) {
    const entries = new Map<string, unknown>();
    const duplicates: string[] = [];
    for (const { serial, record } of page.records) {
      if (entries.has(serial)) duplicates.push(serial);
      entries.set(serial, record);
    }
    if (page.nextState !== null && options.nextTurn !== undefined) await options.nextTurn();
    await index.put([...entries]);
    yield { indexed: entries.size, duplicates, unreadable: page.unreadable, nextState: page.nextState, fetch: page.fetch };
  }
}

export async function lookupInIndex(index: SerialIndex, serials: string[]): Promise<Map<string, SerialLookup>> {
  const found = await index.getMany(serials);
  const results = new Map<string, SerialLookup>();
  for (const serial of serials) {
    const outcome: LookupOutcome = found.has(serial)
      ? { status: "found", record: found.get(serial) }
      : missing("not_in_listing", "serial is not in the destination listing");
    results.set(serial, { outcome, fetch: null });
  }
  return results;
}

export interface DestinationLookupOptions {
  client: HttpClient;
  contract: FetchContract;
  // Required in list mode: filled by buildListingIndex before the first lookup.
  index?: SerialIndex;
}

export interface DestinationLookup {
  lookupMany(serials: string[], signal?: AbortSignal): Promise<Map<string, SerialLookup>>;
  // Whether each lookup asks the destination now (per serial), rather than reading a listing taken earlier.
  readonly current: boolean;
}

export function createDestinationLookup(options: DestinationLookupOptions): DestinationLookup {
  const { client, contract, index } = options;
  if (contract.mode === "list") {
    if (index === undefined) throw new Error("a list-mode lookup needs a serial index");
    return { lookupMany: (serials) => lookupInIndex(index, serials), current: false };
  }
  return {
    current: true,
    // Requests go out together; the client's semaphore and pacer keep them within the connection's limits.
    async lookupMany(serials, signal) {
      const settled = await Promise.all(
        serials.map(async (serial): Promise<[string, SerialLookup]> => {
          try {
            return [serial, await lookupBySerial({ client, contract, serial, signal })];
          } catch (error) {
            if (!(error instanceof EngineError)) throw error;
            return [serial, { outcome: { status: "error", error }, fetch: null }];
          }
        }),
      );
      return new Map(settled);
    },
  };
}
