import { compileAnswerCheck, type CompiledAnswerCheck } from "./answer-check";
import { compileItemResults, type CompiledItemResults } from "./bulk-item-results";
import { DEFAULT_RECORD_REFUSAL_STATUSES, type PayloadFormat, type UpdateContract } from "./contracts";
import { compilePath, setPath, type CompiledPath } from "./paths";
import type { Decision } from "./reconcile";
import { compileTemplate, renderUrl, type CompiledTemplate } from "./templates";
import { formBody } from "./form-body";
import { utf8Length } from "./utf8";
import { compileIfMatch, type CompiledIfMatch } from "./if-match";
import { buildXml, XmlBuildError } from "./xml";
import { errorMessage } from "../../shared/lang";

export interface CompiledUpdate {
  readonly method: UpdateContract["method"];
  readonly format: UpdateContract["formatter"];
  readonly url: CompiledTemplate;
  readonly headers: Readonly<Record<string, string>>;
  readonly xmlRoot: string;
  readonly bulk: {
    readonly maxRecords: number;
    readonly recordsKey: string;
    readonly serialField: CompiledPath | null;
    // How the answer names the records it refused; null: a 2xx answer took every record.
    readonly itemResults: CompiledItemResults | null;
  } | null;
  readonly successStatuses: ReadonlySet<number> | null;
  // Where each write's If-Match comes from (update.if_match); null: writes carry none.
  readonly ifMatch: CompiledIfMatch | null;
  // 4xx statuses that fail one record and let the job go on (update.record_refusal_statuses).
  readonly recordRefusals: ReadonlySet<number>;
  // Reads a success answer's body for a failure it reports (update.answer_check); null: a success status is enough.
  readonly answerCheck: CompiledAnswerCheck | null;
  // The header that carries each write's idempotency key; null when the contract turned it off.
  readonly idempotencyHeader: string | null;
}

export interface UpdateRequest {
  method: UpdateContract["method"];
  url: string;
  headers: Record<string, string>;
  body: string;
  bytes: number;
  serials: string[];
  idempotencyKey: string | null;
  // Whether a timeout, 5xx or network error may be retried: the destination may have applied the write, so only
  // an idempotency key or a method that sets values (single PUT/PATCH) makes a second send harmless.
  retrySafe: boolean;
}

export const DEFAULT_IDEMPOTENCY_HEADER = "Idempotency-Key";

// Keys are scoped to the job: a rerun is a new intent, a retry or resume of the same job is not.
export interface KeyScope {
  keyScope?: string;
}

export interface RejectedWrite {
  serial: string;
  error: string;
}

export interface UpdateRequests {
  requests: UpdateRequest[];
  rejected: RejectedWrite[];
}

export type DestinationLookup = ReadonlyMap<string, unknown> | ((serial: string) => unknown);

const CONTENT_TYPES = { json: "application/json", xml: "application/xml; charset=utf-8", form: "application/x-www-form-urlencoded" } as const;

export function compileUpdateContract(contract: UpdateContract): CompiledUpdate {
  const headers: Record<string, string> = { ...contract.headers };
  // An explicit Content-Type in the contract wins (e.g. a vendor media type); otherwise the formatter decides.
  if (!Object.keys(headers).some((name) => name.toLowerCase() === "content-type")) {
    headers["content-type"] = CONTENT_TYPES[contract.formatter];
  }
  if (contract.formatter === "xml" && contract.xml_root === undefined) throw new Error('formatter "xml" needs xml_root');
  const bulk = contract.bulk;
  const url = compileTemplate(contract.url_template);
  if (bulk !== undefined && url.placeholders.length > 0) throw new Error("a bulk update URL cannot have placeholders");
  return Object.freeze({
    method: contract.method,
    format: contract.formatter,
    url,
    headers: Object.freeze(headers),
    xmlRoot: contract.xml_root ?? "",
    bulk:
      bulk === undefined
        ? null
        : {
            maxRecords: bulk.max_records,
            recordsKey: bulk.records_key,
            serialField: bulk.serial_field === undefined ? null : compilePath(bulk.serial_field),
            itemResults: bulk.item_results === undefined ? null : compileItemResults(bulk.item_results),
          },
    successStatuses: contract.success_statuses === undefined ? null : new Set(contract.success_statuses),
    ifMatch: contract.if_match === undefined ? null : compileIfMatch(contract.if_match),
    recordRefusals: new Set(contract.record_refusal_statuses ?? DEFAULT_RECORD_REFUSAL_STATUSES),
    answerCheck: contract.answer_check === undefined ? null : compileAnswerCheck(contract.answer_check),
    idempotencyHeader: idempotencyHeaderOf(contract),
  });
}

function idempotencyHeaderOf(contract: UpdateContract): string | null {
  const header = contract.idempotency_header;
  if (header === undefined) return DEFAULT_IDEMPOTENCY_HEADER;
  return typeof header === "string" ? header : null;
}

// How a write's answer is read: XML for an XML write, else JSON (a form write is answered in JSON).
export function answerFormat(update: CompiledUpdate): PayloadFormat {
  return update.format === "xml" ? "xml" : "json";
}

export function isSuccessStatus(update: CompiledUpdate, status: number): boolean {
  return update.successStatuses === null ? status >= 200 && status <= 299 : update.successStatuses.has(status);
}

export function renderUpdateUrl(update: CompiledUpdate, serial: string, destination: unknown) {
  return renderUrl(update.url, serial, destination);
}

// One request per write decision, or bulk batches of at most max_records. A record whose URL or body cannot be
// built is rejected on its own (its outcome is failed) without sinking the rest of its batch.
export function buildUpdateRequests(
  update: CompiledUpdate,
  decisions: readonly Decision[],
  destinations: DestinationLookup,
  options: KeyScope = {},
): UpdateRequests {
  const requests: UpdateRequest[] = [];
  const rejected: RejectedWrite[] = [];
  if (update.bulk === null) {
    for (const decision of decisions) {
      if (decision.kind !== "write" || decision.payload === null) continue;
      const built = buildSingleRequest(update, decision.serial, decision.payload, lookup(destinations, decision.serial), options);
      if ("error" in built) rejected.push(built);
      else requests.push(built);
    }
    return { requests, rejected };
  }

  const { maxRecords } = update.bulk;
  let items: string[] = [];
  let serials: string[] = [];
  for (const decision of decisions) {
    if (decision.kind !== "write" || decision.payload === null) continue;
    try {
      items.push(serialiseBulkItem(update, decision.serial, decision.payload));
      serials.push(decision.serial);
    } catch (error) {
      rejected.push({ serial: decision.serial, error: describeBuildError(error) });
      continue;
    }
    if (items.length === maxRecords) {
      requests.push(bulkRequest(update, items, serials, options));
      items = [];
      serials = [];
    }
  }
  if (items.length > 0) requests.push(bulkRequest(update, items, serials, options));
  return { requests, rejected };
}

export function buildSingleRequest(
  update: CompiledUpdate,
  serial: string,
  payload: Record<string, unknown>,
  destination: unknown,
  options: KeyScope = {},
): UpdateRequest | RejectedWrite {
  const url = renderUrl(update.url, serial, destination);
  if (!url.ok) return { serial, error: url.error };
  let body: string;
  try {
    body = update.format === "json" ? JSON.stringify(payload) : update.format === "form" ? formBody(payload) : buildXml(update.xmlRoot, payload);
  } catch (error) {
    return { serial, error: describeBuildError(error) };
  }
  const key = options.keyScope === undefined ? null : `${options.keyScope}:${encodeURIComponent(serial)}`;
  return keyed(
    update,
    {
      method: update.method,
      url: url.url,
      headers: { ...update.headers },
      body,
      bytes: utf8Length(body),
      serials: [serial],
      idempotencyKey: null,
      retrySafe: update.method !== "POST",
    },
    key,
  );
}

// The batch key depends only on which serials the batch holds, so a batch rebuilt after a restart from the
// same records gets the same key (batches are built in queue order).
export function bulkIdempotencyKey(scope: string, serials: readonly string[]): string {
  const sorted = [...serials].sort();
  return `${scope}:bulk-${sorted.length}-${textHash(sorted.join("\n"))}`;
}

// A half of a rejected batch gets its own key, from the key of the batch first sent and the half's serials: a
// resumed run that rebuilds that batch and splits it again sends every half with the key it had before.
export function splitIdempotencyKey(batchKey: string, serials: readonly string[]): string {
  const sorted = [...serials].sort();
  return `${rootBatchKey(batchKey)}:split-${sorted.length}-${textHash(sorted.join("\n"))}`;
}

// The key of the batch a half (or a half of a half) was split from.
export function rootBatchKey(key: string): string {
  return key.replace(/:split-\d+-[0-9a-f]{16}$/, "");
}

// Whether a batch or half key was made for exactly these serials (a batch rebuilt whole after a restart).
export function bulkKeyHolds(key: string, serials: readonly string[]): boolean {
  const sorted = [...serials].sort();
  return key.endsWith(`-${sorted.length}-${textHash(sorted.join("\n"))}`);
}

// A bulk request for exactly these records under the given key (a half of a rejected batch, or a batch rebuilt
// after a restart). Throws when an item cannot be serialised, as building the batch first would have.
export function buildBulkRequest(
  update: CompiledUpdate,
  records: ReadonlyArray<{ serial: string; payload: Record<string, unknown> }>,
  key: string | null,
): UpdateRequest {
  const items = records.map(({ serial, payload }) => serialiseBulkItem(update, serial, payload));
  return keyedBulkRequest(
    update,
    items,
    records.map((r) => r.serial),
    key,
  );
}

function keyed(update: CompiledUpdate, request: UpdateRequest, key: string | null): UpdateRequest {
  const name = update.idempotencyHeader;
  if (key === null || name === null) return request;
  // A static value under the same name would make the destination drop every write after the first.
  for (const existing of Object.keys(request.headers)) {
    if (existing.toLowerCase() === name.toLowerCase()) delete request.headers[existing];
  }
  request.headers[name] = key;
  return { ...request, idempotencyKey: key, retrySafe: true };
}

// A 64-bit string hash (cyrb53-style, two 32-bit lanes): stable, fast, and synchronous for the engine.
export function textHash(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, "0") + (h1 >>> 0).toString(16).padStart(8, "0");
}

// One record's item as it goes into a bulk batch (JSON object text or XML element).
export function serialiseBulkItem(update: CompiledUpdate, serial: string, payload: Record<string, unknown>): string {
  const item = update.bulk!.serialField === null ? payload : withSerial(payload, update.bulk!.serialField, serial);
  return update.format === "json" ? JSON.stringify(item) : buildXml(update.bulk!.recordsKey, item, { declaration: false });
}

function bulkRequest(update: CompiledUpdate, items: string[], serials: string[], options: KeyScope): UpdateRequest {
  return keyedBulkRequest(update, items, serials, options.keyScope === undefined ? null : bulkIdempotencyKey(options.keyScope, serials));
}

function keyedBulkRequest(update: CompiledUpdate, items: string[], serials: string[], key: string | null): UpdateRequest {
  const recordsKey = update.bulk!.recordsKey;
  const body =
    update.format === "json"
      ? `{${JSON.stringify(recordsKey)}:[${items.join(",")}]}`
      : `<?xml version="1.0" encoding="UTF-8"?><${update.xmlRoot}>${items.join("")}</${update.xmlRoot}>`;
  return keyed(
    update,
    {
      method: update.method,
      url: update.url.literals[0]!,
      headers: { ...update.headers },
      body,
      bytes: utf8Length(body),
      serials,
      idempotencyKey: null,
      // Several records in one request: even a PUT may apply some of them, so it is not retried blindly.
      retrySafe: false,
    },
    key,
  );
}

// The decision's payload stays as reconciled (it is what outcomes show); the serial goes into a copy.
function withSerial(payload: Record<string, unknown>, path: CompiledPath, serial: string): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  setPath(item, path, serial);
  mergeInto(item, payload);
  return item;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const key of Object.keys(source)) {
    const value = source[key];
    if (!isPlainObject(value)) {
      target[key] = value;
      continue;
    }
    let existing = target[key];
    if (!isPlainObject(existing)) {
      existing = {};
      target[key] = existing;
    }
    mergeInto(existing as Record<string, unknown>, value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lookup(destinations: DestinationLookup, serial: string): unknown {
  return typeof destinations === "function" ? destinations(serial) : destinations.get(serial);
}

function describeBuildError(error: unknown): string {
  if (error instanceof XmlBuildError) return `cannot build the XML body: ${error.message}`;
  return `cannot build the request body: ${errorMessage(error)}`;
}
