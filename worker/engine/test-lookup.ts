import type { FetchContract } from "./contracts";
import { readSourcePages, type HttpSourceContract } from "./source-reader";
import { credentialClientAuth, type CredentialHeaders } from "./credential-auth";
import { EngineError } from "./errors";
import { createHttpClient, type HttpLimits } from "./http-client";
import { lookupBySerial, type MissingReason } from "./lookup";
import { pagedReadSpec, readRecordPages } from "./paged-reader";
import { createRedactor, type Redactor } from "./redactor";
import { readBody } from "./read-body";
import type { EngineRuntime } from "./runtime";

export interface TestLookupOptions {
  contract: FetchContract;
  serial: string;
  runtime: EngineRuntime;
  limits: HttpLimits;
  auth: CredentialHeaders;
  // List mode reads pages until the serial turns up, but no further than this.
  maxPages?: number;
  maxBodyChars?: number;
  signal?: AbortSignal;
}

export interface TestLookupReport {
  outcome: "found" | "missing" | "error";
  request: { method: string; url: string; status: number | null; duration_ms: number } | null;
  requests: number;
  raw_response: string | null;
  raw_response_truncated: boolean;
  record: unknown;
  missing_reason?: MissingReason | "beyond_page_limit" | "not_in_source";
  detail?: string;
  error?: { code: string; message: string; hint: string; http_status: number | null };
}

export const TEST_LOOKUP_DEFAULTS = { maxPages: 20, maxBodyChars: 8_000 } as const;

interface Exchange {
  method: string;
  url: string;
  status: number | null;
  duration_ms: number;
  body: string | null;
}

/**
 * Looks one serial up exactly as a run would, and reports what went over the wire: the last request,
 * its raw response and the record the contract resolved. Secrets are masked in everything it returns.
 */
export async function runTestLookup(options: TestLookupOptions): Promise<TestLookupReport> {
  const { contract, serial, signal } = options;
  const maxPages = options.maxPages ?? TEST_LOOKUP_DEFAULTS.maxPages;
  return recorded(options, (client) =>
    contract.mode === "per_serial" ? perSerial(client, contract, serial, signal) : inListing(client, contract, serial, maxPages, signal),
  );
}

/** The same for the source side: reads the HTTP source's pages, as a run does, until the serial turns up. */
export async function runTestSourceLookup(options: Omit<TestLookupOptions, "contract"> & { contract: HttpSourceContract }): Promise<TestLookupReport> {
  const { contract, serial, signal } = options;
  const maxPages = options.maxPages ?? TEST_LOOKUP_DEFAULTS.maxPages;
  return recorded(options, (client) => inSource(client, contract, serial, maxPages, signal));
}

// Runs `lookup` through a client whose every destination exchange is kept, and reports the last one, masked.
async function recorded(options: Omit<TestLookupOptions, "contract">, lookup: (client: Client) => Promise<Result>): Promise<TestLookupReport> {
  const { runtime, auth } = options;
  const maxBodyChars = options.maxBodyChars ?? TEST_LOOKUP_DEFAULTS.maxBodyChars;
  const exchanges: Exchange[] = [];

  // Only destination requests pass through here; an OAuth2 token request uses the caller's runtime directly.
  const recordingFetch: typeof fetch = async (input, init) => {
    const started = runtime.now();
    const exchange: Exchange = {
      method: init?.method ?? (input instanceof Request ? input.method : "GET"),
      url: input instanceof Request ? input.url : input.toString(),
      status: null,
      duration_ms: 0,
      body: null,
    };
    exchanges.push(exchange);
    try {
      const response = await runtime.fetch(input, init);
      exchange.status = response.status;
      // Only what the report can show is copied (UTF-8 is at most 4 bytes a character; a few more tell it was cut);
      // the client reads its own copy through the connection's limit.
      exchange.body = (await readBody(response.clone(), { maxBytes: maxBodyChars * 4 + 4, truncate: true })).text;
      return response;
    } finally {
      exchange.duration_ms = runtime.now() - started;
    }
  };
  const client = createHttpClient({
    runtime: { ...runtime, fetch: recordingFetch },
    limits: options.limits,
    ...credentialClientAuth(() => auth),
  });

  let result: Pick<TestLookupReport, "outcome" | "record" | "missing_reason" | "detail" | "error">;
  try {
    result = await lookup(client);
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    result = {
      outcome: "error",
      record: null,
      error: { code: error.code, message: error.message, hint: error.hint, http_status: error.http_status },
    };
  }
  // Asked after the requests, so access tokens fetched on the way are masked too.
  const redactor = createRedactor(() => auth.secrets());
  return report(result, exchanges, redactor, maxBodyChars);
}

type Client = ReturnType<typeof createHttpClient>;
type Result = Pick<TestLookupReport, "outcome" | "record" | "missing_reason" | "detail">;

async function perSerial(
  client: Client,
  contract: Extract<FetchContract, { mode: "per_serial" }>,
  serial: string,
  signal: AbortSignal | undefined,
): Promise<Result> {
  const { outcome } = await lookupBySerial({ client, contract, serial, ...(signal ? { signal } : {}) });
  switch (outcome.status) {
    case "found":
      return { outcome: "found", record: outcome.record };
    case "missing":
      return { outcome: "missing", record: null, missing_reason: outcome.reason, detail: outcome.detail };
    case "error":
      throw outcome.error;
  }
}

function inListing(
  client: Client,
  contract: Extract<FetchContract, { mode: "list" }>,
  serial: string,
  maxPages: number,
  signal: AbortSignal | undefined,
): Promise<Result> {
  const pages = readRecordPages(client, pagedReadSpec("listing", contract), null, signal);
  return findInPages(pages, serial, maxPages, { name: "the destination listing", missing: "not_in_listing" });
}

function inSource(client: Client, contract: HttpSourceContract, serial: string, maxPages: number, signal: AbortSignal | undefined): Promise<Result> {
  const pages = readSourcePages({ client, contract, start: {}, ...(signal ? { signal } : {}) });
  return findInPages(pages, serial, maxPages, { name: "the source", missing: "not_in_source" });
}

// Reads pages until the serial turns up, or the read ends, or the test's page limit is reached.
async function findInPages(
  pages: AsyncIterable<{ records: ReadonlyArray<{ serial: string; record: unknown }>; nextState: unknown }>,
  serial: string,
  maxPages: number,
  read: { name: string; missing: "not_in_listing" | "not_in_source" },
): Promise<Result> {
  let count = 0;
  for await (const page of pages) {
    count++;
    const hit = page.records.find((entry) => entry.serial === serial);
    if (hit) return { outcome: "found", record: hit.record };
    if (page.nextState !== null && count >= maxPages) {
      return {
        outcome: "missing",
        record: null,
        missing_reason: "beyond_page_limit",
        detail: `not in the first ${count} pages of ${read.name}; a run reads them all, a test lookup stops here`,
      };
    }
  }
  return {
    outcome: "missing",
    record: null,
    missing_reason: read.missing,
    detail: `serial is not in the ${count} page${count === 1 ? "" : "s"} of ${read.name}`,
  };
}

function report(
  result: Pick<TestLookupReport, "outcome" | "record" | "missing_reason" | "detail" | "error">,
  exchanges: Exchange[],
  redactor: Redactor,
  maxBodyChars: number,
): TestLookupReport {
  const last = exchanges.at(-1);
  const { redact } = redactor;
  // Masked before it is cut, so a secret straddling the cut cannot leave half of itself behind.
  const body = last?.body == null ? null : redact(last.body);
  const truncated = body !== null && body.length > maxBodyChars;
  const out: TestLookupReport = {
    outcome: result.outcome,
    request: last ? { method: last.method, url: redact(last.url), status: last.status, duration_ms: Math.max(0, Math.round(last.duration_ms)) } : null,
    requests: exchanges.length,
    raw_response: body === null ? null : truncated ? body.slice(0, maxBodyChars) : body,
    raw_response_truncated: truncated,
    // A destination echoing an auth header back must not put it in the record either.
    record: result.record === undefined ? null : redactor.redactValue(result.record),
  };
  if (result.missing_reason !== undefined) out.missing_reason = result.missing_reason;
  if (result.detail !== undefined) out.detail = redact(result.detail);
  if (result.error) out.error = { ...result.error, message: redact(result.error.message), hint: redact(result.error.hint) };
  return out;
}
