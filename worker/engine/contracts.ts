import { z } from "zod";
import { parsePath, type PathSegment } from "./paths";
import { parseTemplate, urlTemplateOriginProblem } from "./templates";
import { isXmlName } from "./xml";

const MiB = 1024 * 1024;
// A Worker has 128 MB: a body is held as bytes, then as text, then parsed, so one response stays well below.
export const MAX_RESPONSE_BYTES_CEILING = 32 * MiB;

export const FORMATTERS = [
  "string",
  "number",
  "integer",
  "boolean",
  "iso_date",
  "epoch_ms",
  "lowercase",
  "uppercase",
  "trim",
  "map",
  "default",
  "template",
] as const;
export type Formatter = (typeof FORMATTERS)[number];

export const FIELD_ACTIONS = ["update_if_changed", "always", "never"] as const;
export type FieldAction = (typeof FIELD_ACTIONS)[number];

export const ON_NULL = ["skip", "write_null"] as const;
export type OnNull = (typeof ON_NULL)[number];

export const UPDATE_METHODS = ["PUT", "PATCH", "POST"] as const;
// Read-back verification of writes: none, a deterministic share of the written serials, or every one.
export const VERIFY_WRITES = ["off", "sample", "all"] as const;
export type VerifyWrites = (typeof VERIFY_WRITES)[number];
export const DEFAULT_VERIFY_SAMPLE_PERCENT = 10;
// 4xx answers to one write that refuse that record's values (a conflict, a record gone, a failed precondition, a
// value the destination cannot take), not the request: the record fails alone and the job goes on.
export const DEFAULT_RECORD_REFUSAL_STATUSES = [409, 410, 412, 422] as const;
// The request's own faults (authentication, method, media type) and the statuses that are retried.
const REQUEST_FAULT_STATUSES = new Set([401, 403, 405, 407, 408, 415, 429]);
export const PAYLOAD_FORMATS = ["json", "xml"] as const;
export type PayloadFormat = (typeof PAYLOAD_FORMATS)[number];
// A write may also be a form, as Stripe's and Twilio's APIs take them: nested fields in brackets, metadata[site]=…
export const UPDATE_FORMATS = [...PAYLOAD_FORMATS, "form"] as const;
export type UpdateFormat = (typeof UPDATE_FORMATS)[number];
// An HTTP source may also be an export: NDJSON (a JSON record a line) or CSV (a header row naming the fields).
export const SOURCE_FORMATS = [...PAYLOAD_FORMATS, "ndjson", "csv"] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

// fetch() owns these; letting a contract set them would corrupt the request.
const RESERVED_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection"]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;
const PARAM_NAME = /^[A-Za-z0-9_.\-[\]]+$/;
// Contract headers are stored and shown in plain text and never masked, so credentials are refused here:
// the auth headers themselves, and names made of credential words (X-API-Key, X-Auth-Token, ClientSecret).
const AUTH_HEADERS = new Set(["authorization", "proxy-authorization"]);
const CREDENTIAL_WORDS = new Set(["auth", "key", "apikey", "cookie", "session", "credential", "credentials", "pwd"]);
const CREDENTIAL_PARTS = /token|secret|passw(or)?d|api[-_]?key|authorization/;
// Names with a credential word that carry none: a write's idempotency key is derived from the job.
const NOT_CREDENTIALS = /(^|-)idempotency-key$/;

function credentialHeaderProblem(name: string): string | null {
  const lower = name.toLowerCase();
  if (AUTH_HEADERS.has(lower)) {
    return `header "${name}" carries a credential: use a bearer, basic or OAuth2 credential instead, which is encrypted and masked in everything shown`;
  }
  if (NOT_CREDENTIALS.test(lower)) return null;
  if (CREDENTIAL_PARTS.test(lower) || lower.split(/[-_.]/).some((word) => CREDENTIAL_WORDS.has(word))) {
    return `header "${name}" looks like a credential: use an api_key credential with header name "${name}" instead, which is encrypted and masked in everything shown`;
  }
  return null;
}

type Ctx = z.RefinementCtx;
type IssuePath = (string | number)[];

function issue(ctx: Ctx, path: IssuePath, message: string): void {
  // A copy per issue: zod prefixes each issue's path in place as it bubbles up (in workerd, where it cannot compile
  // its fast path), so one array shared by two issues of a field came out as "fetch.fetch.url_template".
  ctx.addIssue({ code: "custom", path: [...path], message });
}

export function httpUrlProblem(text: string): string | null {
  // A URL parser reads "\\" as "/", so what the URL shows would not be where it goes.
  if (text.includes("\\")) return `"${text}" contains a backslash: use "/" in URLs`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not an absolute URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `"${text}" must use http: or https:`;
  if (url.username !== "" || url.password !== "") return "credentials belong in the credential, not in the URL";
  return null;
}

const pathSchema = (description: string, minLength: 0 | 1) =>
  z
    .string()
    .min(minLength, "must not be empty")
    .max(500)
    .superRefine((value, ctx) => {
      const parsed = parsePath(value);
      if (!parsed.ok) issue(ctx, [], `invalid path "${value}": ${parsed.error}`);
    })
    .describe(
      `${description} Dot path with optional [n] indexes, e.g. "data.items[0].id"; other characters in a key are quoted: ["Serial Number"]${minLength === 0 ? '; "" is the root' : ""}.`,
    );

const pathString = (description: string) => pathSchema(description, 0);
const requiredPath = (description: string) => pathSchema(description, 1);

const plainUrl = z
  .string()
  .max(2000)
  .superRefine((value, ctx) => {
    if (/[{}]/.test(value)) {
      issue(ctx, [], "this URL is not a template: placeholders are not supported here");
      return;
    }
    const problem = httpUrlProblem(value);
    if (problem !== null) issue(ctx, [], problem);
  });

const queryParam = z.string().min(1).max(100).regex(PARAM_NAME, "must be a plain query parameter name");

const HeadersSchema = z
  .record(z.string(), z.string().max(4000))
  .superRefine((headers, ctx) => {
    for (const [name, value] of Object.entries(headers)) {
      if (!HEADER_NAME.test(name)) issue(ctx, [name], `"${name}" is not a valid header name`);
      else if (RESERVED_HEADERS.has(name.toLowerCase())) issue(ctx, [name], `header "${name}" is set by the runtime`);
      else {
        const problem = credentialHeaderProblem(name);
        if (problem !== null) issue(ctx, [name], problem);
      }
      if (HEADER_VALUE_FORBIDDEN.test(value)) issue(ctx, [name], "header values must not contain line breaks or NUL");
    }
  })
  .describe(
    "Extra request headers. Secrets belong in the credential: Authorization, Proxy-Authorization, Cookie and " +
      "names such as X-API-Key, *-Token, *-Secret, *-Key, *Password* or *Session* are refused.",
  );

// One large export file (an NDJSON or CSV object in S3, R2 or GCS) read in byte ranges, so its size is not bound by
// what one response may hold.
const RANGE_CHUNK_MIN = 64 * 1024;
const RANGE_CHUNK_DEFAULT = 4 * 1024 * 1024;

export const PaginationSchema = z
  .discriminatedUnion("style", [
    z.object({ style: z.literal("none") }),
    z.object({
      style: z.literal("page"),
      page_param: queryParam.default("page"),
      size_param: queryParam.optional().describe('Query parameter carrying the page size, e.g. "per_page".'),
      page_size: z.number().int().min(1).max(1000).default(100),
      first_page: z.number().int().min(0).default(1),
    }),
    z.object({
      style: z.literal("offset"),
      offset_param: queryParam.default("offset"),
      limit_param: queryParam
        .optional()
        .describe('Query parameter carrying the page size, e.g. "limit". Without it the endpoint picks its size and only an empty page ends.'),
      page_size: z.number().int().min(1).max(1000).default(100),
      first_offset: z.number().int().min(0).default(0),
    }),
    z.object({
      style: z.literal("cursor"),
      cursor_param: queryParam.default("cursor"),
      next_cursor_path: requiredPath('Where the next cursor is in the response body; absent, null or "" ends paging.'),
    }),
    z.object({
      style: z.literal("keyset"),
      after_param: queryParam.default("starting_after"),
      key_path: requiredPath("Where each record's key is; the last record's key asks for the page after it."),
      has_more_path: requiredPath('Where the body says whether more pages follow, e.g. "has_more"; without it an empty page ends the read.').optional(),
    }),
    z.object({
      style: z.literal("link"),
      next_url_path: requiredPath("Where the next page's URL is in the body; without it the RFC 8288 Link header is followed.").optional(),
    }),
    z.object({
      style: z.literal("range"),
      chunk_bytes: z
        .number()
        .int()
        .min(RANGE_CHUNK_MIN)
        .max(MAX_RESPONSE_BYTES_CEILING)
        .default(RANGE_CHUNK_DEFAULT)
        .describe("Bytes asked for per request (Range: bytes=…); every record must fit in one. At most the connection's max_response_bytes."),
    }),
  ])
  .describe("How to walk pages: stops on an empty or short page, a missing cursor, has_more false, or no next link.");

export const BulkItemResultsSchema = z
  .object({
    path: requiredPath('Where the answer lists its items, e.g. "results" or "errors".'),
    serial_path: requiredPath("Where an item names its record's serial.").optional(),
    index_path: requiredPath("Where an item gives its record's position in the request (from 0).").optional(),
    status_path: requiredPath(
      'Where an item\'s own status is: a number outside 200-299, false, or "error", "failed" or "failure" marks it refused. ' +
        "Without it every item listed is a refusal (a list of errors).",
    ).optional(),
    message_path: requiredPath("Where an item's error message is.").optional(),
  })
  .superRefine((results, ctx) => {
    if (results.serial_path !== undefined && results.index_path !== undefined) {
      issue(ctx, ["index_path"], "give serial_path or index_path, not both");
    }
  })
  .describe(
    "How to read a bulk answer that accepts the request but refuses some records in it (207 Multi-Status, or 200 with an error list): " +
      "refused records fail with the item's message and the rest count as written. Items are matched by serial_path, index_path, " +
      "or else by their position in the list.",
  );

export const AnswerCheckSchema = z
  .object({
    error_path: requiredPath(
      'Where a failed write\'s error is, e.g. "errors" (GraphQL) or "error": anything there but null, false, "" or an empty list fails the record.',
    ).optional(),
    ok_path: requiredPath('Where the answer says whether the write succeeded, e.g. "ok": false, "false" or 0 there fails the record.').optional(),
    message_path: requiredPath("Where the failure's message is, e.g. \"errors[0].message\"; else the error itself, or its first entry's message.").optional(),
  })
  .superRefine((check, ctx) => {
    if (check.error_path === undefined && check.ok_path === undefined) issue(ctx, ["error_path"], "give error_path, ok_path or both");
  })
  .describe(
    "How to read a write's answer that has a success status but says in its body that the write failed (GraphQL errors beside a 200, " +
      '"ok": false). Such a record fails with the answer\'s message instead of counting Updated; an answer that cannot be read fails it too. ' +
      "In bulk mode it applies to the whole answer: a refused answer fails every record of its batch.",
  );

export const SourceContractSchema = z
  .discriminatedUnion("kind", [
    z.object({
      kind: z.literal("http"),
      url: plainUrl,
      headers: HeadersSchema.default({}),
      pagination: PaginationSchema.default({ style: "none" }),
      format: z
        .enum(SOURCE_FORMATS)
        .default("json")
        .describe("json or xml: records_path finds the records; ndjson: one JSON record a line; csv: RFC 4180 with a header row naming the fields."),
      records_path: pathString("Where the record array is in the response (json and xml; an NDJSON or CSV body is the list itself).").default(""),
      serial_path: requiredPath("Where the serial is in each source record."),
      updated_at_path: requiredPath("Where a record's updated-at value is; enables incremental runs.").optional(),
      since_param: queryParam.optional().describe("Query parameter that asks for records changed since a cursor."),
    }),
    z.object({
      kind: z.literal("dataset"),
      serial_path: requiredPath(
        "Where an uploaded record's serial is: a CSV upload's column ([\"Serial Number\"] for a name with spaces), a JSON record's field; default serial.",
      ).optional(),
    }),
  ])
  .superRefine((source, ctx) => {
    if (source.kind === "http" && source.since_param !== undefined && source.updated_at_path === undefined) {
      issue(ctx, ["updated_at_path"], "since_param needs updated_at_path to know how far a run has read");
    }
    if (source.kind === "http") checkLineFormat(source, ctx);
  });

/** The CSV column a source path names, or null when the path is not a single column name. */
export function csvColumnOf(path: string): string | null {
  const parsed = parsePath(path);
  const [first, ...rest] = parsed.ok ? parsed.path.segments : [];
  return typeof first === "string" && rest.length === 0 ? first : null;
}

// An NDJSON or CSV body is nothing but its records: there is no envelope to find them in or read paging from.
function checkLineFormat(
  source: { url: string; format: SourceFormat; records_path: string; serial_path: string; updated_at_path?: string; pagination: Pagination },
  ctx: Ctx,
): void {
  if (source.pagination.style === "range" && URL.canParse(source.url) && new URL(source.url).pathname.toLowerCase().endsWith(".gz")) {
    issue(ctx, ["pagination", "style"], "a gzip file cannot be read in byte ranges (its bytes decompress only from the start): read it whole, without paging");
  }
  if (source.format !== "ndjson" && source.format !== "csv") {
    if (source.pagination.style === "range") {
      issue(ctx, ["pagination", "style"], "byte ranges read one NDJSON or CSV export: a JSON or XML body cannot be cut between records");
    }
    return;
  }
  const name = source.format === "csv" ? "a CSV" : "an NDJSON";
  if (source.records_path !== "") issue(ctx, ["records_path"], `${name} body is the record list itself: leave records_path empty`);
  if (source.format === "csv") {
    // A CSV row is flat: its fields are the header's columns, nothing nested.
    for (const field of ["serial_path", "updated_at_path"] as const) {
      const value = source[field];
      if (value !== undefined && csvColumnOf(value) === null) issue(ctx, [field], `a CSV record is flat: name its column ("${value}" is not one column name)`);
    }
  }
  const { pagination } = source;
  if (pagination.style === "cursor") {
    issue(ctx, ["pagination", "style"], `${name} body has no next cursor to read: page by page number, offset, the last record's key or the Link header`);
  }
  if (pagination.style === "link" && pagination.next_url_path !== undefined) {
    issue(ctx, ["pagination", "next_url_path"], `${name} body has no next link to read: leave it empty to follow the Link header`);
  }
  if (pagination.style === "keyset" && pagination.has_more_path !== undefined) {
    issue(ctx, ["pagination", "has_more_path"], `${name} body has no has-more flag to read: leave it empty, so an empty page ends the read`);
  }
}

interface UrlTemplateRules {
  placeholders: "serial_only" | "any" | "none";
  requireSerial: boolean;
  noneReason?: string;
}

function checkUrlTemplate(template: string, ctx: Ctx, path: IssuePath, rules: UrlTemplateRules): void {
  const parsed = parseTemplate(template);
  if (!parsed.ok) {
    issue(ctx, path, `invalid URL template: ${parsed.error}`);
    return;
  }
  const names = parsed.template.placeholders.map((p) => p.source);
  for (const name of names) {
    if (rules.placeholders === "none") issue(ctx, path, `placeholder {${name}} is not allowed: ${rules.noneReason ?? ""}`);
    else if (rules.placeholders === "serial_only" && name !== "serial") {
      issue(ctx, path, `unknown placeholder {${name}}: only {serial} is available here`);
    }
  }
  if (rules.requireSerial && !names.includes("serial")) issue(ctx, path, "URL template must contain {serial}");
  // A sample rendering proves the fixed parts form an http(s) URL whatever the placeholders hold.
  const sample = parsed.template.literals.join("x");
  // A template with a scheme hears first about where its placeholders sit; one without, that it is not absolute.
  const originProblem = /^[a-z][a-z0-9+.-]*:/i.test(template) ? urlTemplateOriginProblem(parsed.template) : null;
  const problem = originProblem ?? httpUrlProblem(sample)?.replace(`"${sample}"`, `"${template}"`) ?? null;
  if (problem !== null) issue(ctx, path, problem);
}

export const FetchContractSchema = z
  .discriminatedUnion("mode", [
    z.object({
      mode: z.literal("per_serial"),
      url_template: z.string().max(2000).describe("GET URL for one destination record; must contain {serial}."),
      format: z.enum(PAYLOAD_FORMATS).default("json"),
      record_path: pathString("Where the record is in the response.").default(""),
      serial_path: requiredPath("Where the serial is in the destination record."),
      headers: HeadersSchema.default({}),
    }),
    z.object({
      mode: z.literal("list"),
      url: plainUrl,
      format: z.enum(PAYLOAD_FORMATS).default("json"),
      pagination: PaginationSchema.default({ style: "none" }),
      records_path: pathString("Where the record array is in each page.").default(""),
      serial_path: requiredPath("Where the serial is in each destination record."),
      headers: HeadersSchema.default({}),
    }),
  ])
  .superRefine((fetch, ctx) => {
    if (fetch.mode === "per_serial") {
      checkUrlTemplate(fetch.url_template, ctx, ["url_template"], { placeholders: "serial_only", requireSerial: true });
    }
    if (fetch.mode === "list" && fetch.pagination.style === "range") {
      issue(ctx, ["pagination", "style"], "byte ranges read one NDJSON or CSV export: a destination listing is JSON or XML pages");
    }
  });

const xmlName = z.string().min(1).max(200);

export const IF_MATCH_SOURCES = ["etag_header", "record"] as const;

export const IfMatchSchema = z
  .object({
    from: z
      .enum(IF_MATCH_SOURCES)
      .describe('"etag_header": the ETag header of the per-serial lookup\'s answer; "record": a field of the looked-up record (path).'),
    path: requiredPath(
      'With "record": where the record holds its version, e.g. _etag (Cosmos DB), ["@odata.etag"] (OData, Microsoft Graph), version.',
    ).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.from === "record" && value.path === undefined) issue(ctx, ["path"], 'name the field that holds the version when from is "record"');
    if (value.from === "etag_header" && value.path !== undefined)
      issue(ctx, ["path"], 'the version comes from the ETag header: leave path out, or use from "record"');
  })
  .describe(
    "Send each write with If-Match carrying the version the lookup read, so a record changed in the destination since then is not " +
      "overwritten: the destination answers 412 and that record fails alone (the next run reads it again). A value that is not an " +
      'entity tag already ("…" or W/"…") is sent quoted.',
  );

export const UpdateContractSchema = z
  .object({
    method: z.enum(UPDATE_METHODS),
    url_template: z.string().max(2000).describe("May use {serial} and any field path of the looked-up destination record, e.g. {id}."),
    formatter: z
      .enum(UPDATE_FORMATS)
      .default("json")
      .describe(
        "The request body: json, xml (under xml_root) or form (application/x-www-form-urlencoded, nested fields as a[b]=…, lists as a[0]=…, null as an empty value). A form write's answer is read as JSON.",
      ),
    xml_root: xmlName.optional().describe('Root element name; required when formatter is "xml".'),
    headers: HeadersSchema.default({}),
    success_statuses: z.array(z.number().int().min(100).max(599)).min(1).optional().describe("Statuses that count as a successful write; any 2xx when absent."),
    answer_check: AnswerCheckSchema.optional(),
    if_match: IfMatchSchema.optional(),
    record_refusal_statuses: z
      .array(z.number().int().min(400).max(499))
      .max(20)
      .optional()
      .describe(
        `4xx statuses by which the destination refuses one record rather than the request: such a record fails alone with the answer's message ` +
          `and the job goes on; 25 in a row with none accepted fail the job. Default ${DEFAULT_RECORD_REFUSAL_STATUSES.join(", ")}; ` +
          "[] makes any of them fail the job at once, as every other 4xx does (400 among them unless listed here).",
      ),
    // Optional so stored connections from before it stay valid; absent means the default header.
    idempotency_header: z
      .union([z.string().max(100), z.null(), z.literal(false)])
      .optional()
      .describe(
        'Header carrying each write\'s idempotency key ("<job id>:<serial>", bulk "<job id>:bulk-…"), so a write that timed out ' +
          'or got a 5xx can be retried safely; default "Idempotency-Key". null or false: no key, and a POST or bulk write ' +
          "that may have been applied is not retried within the run.",
      ),
    // Optional so stored connections from before them stay valid; absent means "off" and 10 %.
    verify_writes: z
      .enum(VERIFY_WRITES)
      .optional()
      .describe(
        'Read each written record back through the fetch contract and compare the written fields: "off" (default), ' +
          '"sample" (verify_sample_percent of the written serials, the same ones on a replay of the job) or "all".',
      ),
    verify_sample_percent: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe(`Percentage of written serials read back when verify_writes is "sample"; default ${DEFAULT_VERIFY_SAMPLE_PERCENT}.`),
    bulk: z
      .object({
        max_records: z.number().int().min(1).max(1000),
        records_key: xmlName.describe("JSON: {records_key: [...]}; XML: one <records_key> element per record."),
        serial_field: requiredPath("Field set to the record's serial in every bulk item, so the destination can match it.").optional(),
        item_results: BulkItemResultsSchema.optional(),
      })
      .optional(),
  })
  .superRefine((update, ctx) => {
    checkUrlTemplate(update.url_template, ctx, ["url_template"], {
      placeholders: update.bulk === undefined ? "any" : "none",
      requireSerial: false,
      noneReason: "a bulk request has one URL for all its records",
    });
    if (update.formatter === "xml") {
      if (update.xml_root === undefined) issue(ctx, ["xml_root"], 'xml_root is required when formatter is "xml"');
      else if (!isXmlName(update.xml_root)) issue(ctx, ["xml_root"], `"${update.xml_root}" is not a valid XML element name`);
      if (update.bulk !== undefined && !isXmlName(update.bulk.records_key)) {
        issue(ctx, ["bulk", "records_key"], `"${update.bulk.records_key}" is not a valid XML element name`);
      }
    }
    if (update.formatter === "form" && update.bulk !== undefined) issue(ctx, ["bulk"], "a bulk request is JSON or XML: a form carries one record");
    if (update.bulk?.serial_field !== undefined) {
      checkPayloadPath(update.bulk.serial_field, update.formatter, ctx, ["bulk", "serial_field"]);
    }
    checkIdempotencyHeader(update.idempotency_header, update.headers, ctx);
    if (update.if_match !== undefined) {
      if (update.bulk !== undefined) issue(ctx, ["if_match"], "a bulk request writes many records: it has no one version to send as If-Match");
      if (Object.keys(update.headers).some((name) => name.toLowerCase() === "if-match")) {
        issue(ctx, ["headers"], "If-Match is sent from each record's version (if_match): a fixed value here would refuse every write");
      }
    }
    checkRecordRefusals(update.record_refusal_statuses ?? [], update.success_statuses ?? [], ctx);
  });

function checkRecordRefusals(statuses: readonly number[], successes: readonly number[], ctx: Ctx): void {
  statuses.forEach((status, i) => {
    if (REQUEST_FAULT_STATUSES.has(status)) {
      issue(ctx, ["record_refusal_statuses", i], `${status} is the request's fault or is retried, whatever the record: it cannot refuse one record`);
    } else if (successes.includes(status)) {
      issue(ctx, ["record_refusal_statuses", i], `${status} is also a success status`);
    }
  });
}

// The runtime's headers and the content type cannot carry the key; a fixed value in `headers` would collide.
const NOT_FOR_KEYS = new Set([...RESERVED_HEADERS, "authorization", "cookie", "content-type"]);

function checkIdempotencyHeader(name: string | null | false | undefined, headers: Record<string, string>, ctx: Ctx): void {
  if (typeof name !== "string") return;
  const path = ["idempotency_header"];
  if (!HEADER_NAME.test(name)) issue(ctx, path, `"${name}" is not a valid header name`);
  else if (NOT_FOR_KEYS.has(name.toLowerCase())) issue(ctx, path, `header "${name}" cannot carry the idempotency key`);
  else if (Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase())) {
    issue(ctx, path, `"${name}" is also set in headers: the key is a new value per write`);
  }
}

const FieldRuleOptionsSchema = z.object({
  map: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .optional()
    .describe('Enum table for the "map" formatter: source value (as text) to destination value.'),
  default: z
    .union([z.string(), z.number(), z.boolean()])
    .optional()
    .describe('Constant written by the "default" formatter when the source is null, absent or "".'),
  template: z.string().max(2000).optional().describe('Text for the "template" formatter, e.g. "{first} {last}".'),
});

export const FieldRuleSchema = z
  .object({
    source: pathString('Path in the source record. Not used by the "template" formatter.').optional(),
    destination: requiredPath("Path in the payload and in the looked-up destination record."),
    formatter: z.enum(FORMATTERS).default("string"),
    options: FieldRuleOptionsSchema.optional(),
    action: z.enum(FIELD_ACTIONS).default("update_if_changed").describe("update_if_changed: write when different; always: always write; never: compare only."),
    on_null: z.enum(ON_NULL).default("skip").describe("skip: a null or absent source value leaves the destination alone; write_null: write null."),
    required: z.boolean().default(false).describe("An absent (or null) value makes the record Missing Source."),
  })
  .superRefine((rule, ctx) => {
    if (rule.formatter === "template") {
      const template = rule.options?.template;
      if (template === undefined) issue(ctx, ["options", "template"], 'formatter "template" needs options.template');
      else {
        const parsed = parseTemplate(template);
        if (!parsed.ok) issue(ctx, ["options", "template"], `invalid template: ${parsed.error}`);
      }
    } else if (rule.source === undefined) {
      issue(ctx, ["source"], `formatter "${rule.formatter}" needs a source path`);
    }
    if (rule.formatter === "map") {
      const table = rule.options?.map;
      if (table === undefined || Object.keys(table).length === 0) {
        issue(ctx, ["options", "map"], 'formatter "map" needs a non-empty options.map');
      }
    }
    if (rule.formatter === "default" && rule.options?.default === undefined) {
      issue(ctx, ["options", "default"], 'formatter "default" needs options.default');
    }
    const destination = parsePath(rule.destination);
    if (destination.ok && destination.path.hasIndex) {
      issue(ctx, ["destination"], "a destination cannot use [n] indexes: a payload cannot update one list element");
    }
  });

export const MappingSchema = z
  .array(FieldRuleSchema)
  .min(1, "a mapping needs at least one field rule")
  .max(200)
  .superRefine((rules, ctx) => {
    // Compared by their keys, so "a" and ["a"] are one destination. A path that does not parse is refused at the rule.
    const written: Array<{ keys: readonly PathSegment[]; index: number }> = [];
    const seen = new Map<string, number>();
    rules.forEach((rule, index) => {
      const parsed = parsePath(rule.destination);
      if (!parsed.ok) return;
      const key = JSON.stringify(parsed.path.segments);
      const first = seen.get(key);
      if (first !== undefined) {
        issue(ctx, [index, "destination"], `destination "${rule.destination}" is already used by mapping[${first}]`);
        return;
      }
      seen.set(key, index);
      written.push({ keys: parsed.path.segments, index });
    });
    // "a" and "a.b" cannot both be written: one would overwrite the other in the payload.
    for (const child of written) {
      const parent = written.find((p) => p.keys.length < child.keys.length && p.keys.every((key, i) => key === child.keys[i]));
      if (parent !== undefined) {
        issue(
          ctx,
          [child.index, "destination"],
          `destination "${rules[child.index]!.destination}" is inside "${rules[parent.index]!.destination}" (mapping[${parent.index}])`,
        );
      }
    }
  });

export const LimitsSchema = z.object({
  requests_per_second: z.number().positive().max(1000).default(10),
  concurrency: z.number().int().min(1).max(6).default(2),
  timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  retry_attempts: z.number().int().min(0).max(10).default(3),
  stop_on_failure: z.boolean().default(false).describe("Whether a failed connection stops the rest of the run."),
  max_response_bytes: z
    .number()
    .int()
    .min(1024)
    .max(MAX_RESPONSE_BYTES_CEILING)
    .default(10 * MiB)
    .describe("Largest response body read, counted after decompression; a larger one fails with response_too_large."),
  max_pages: z
    .number()
    .int()
    .min(1)
    .max(10_000_000)
    .default(100_000)
    .describe("Most pages one source read or destination listing may take; more fails with too_many_pages."),
});

export const LIMIT_DEFAULTS: Limits = LimitsSchema.parse({});

// Stored configurations predate some limits; they read with the defaults a run would apply.
export function withLimitDefaults<T extends { limits?: unknown }>(config: T): T & { limits: Limits } {
  const stored = typeof config.limits === "object" && config.limits !== null ? config.limits : {};
  return { ...config, limits: { ...LIMIT_DEFAULTS, ...stored } as Limits };
}

function checkPayloadPath(destination: string, format: UpdateFormat, ctx: Ctx, path: IssuePath): void {
  if (format !== "xml") return;
  const parsed = parsePath(destination);
  if (!parsed.ok) return;
  for (const segment of parsed.path.segments) {
    if (typeof segment === "string" && !isXmlName(segment)) {
      issue(ctx, path, `"${segment}" is not a valid XML element name (the update formatter is "xml")`);
      return;
    }
  }
}

export const ConnectionConfigSchema = z
  .object({
    source: SourceContractSchema,
    fetch: FetchContractSchema,
    update: UpdateContractSchema,
    mapping: MappingSchema,
    limits: LimitsSchema.prefault({}),
  })
  .superRefine((config, ctx) => {
    config.mapping.forEach((rule, index) => {
      checkPayloadPath(rule.destination, config.update.formatter, ctx, ["mapping", index, "destination"]);
    });
    if (config.update.if_match?.from === "etag_header" && config.fetch.mode !== "per_serial") {
      issue(ctx, ["update", "if_match", "from"], 'a listing has no ETag header per record: look records up per serial, or use from "record"');
    }
    const { source } = config;
    if (source.kind === "http" && source.pagination.style === "range" && source.pagination.chunk_bytes > config.limits.max_response_bytes) {
      issue(
        ctx,
        ["source", "pagination", "chunk_bytes"],
        `a range of ${source.pagination.chunk_bytes} bytes is more than the connection's max_response_bytes (${config.limits.max_response_bytes})`,
      );
    }
    const serialField = config.update.bulk?.serial_field;
    if (serialField !== undefined && config.mapping.some((rule) => rule.destination === serialField)) {
      issue(ctx, ["update", "bulk", "serial_field"], `"${serialField}" is also a mapping destination`);
    }
  });

export type Pagination = z.infer<typeof PaginationSchema>;
export type BulkItemResults = z.infer<typeof BulkItemResultsSchema>;
export type AnswerCheck = z.infer<typeof AnswerCheckSchema>;
export type IfMatch = z.infer<typeof IfMatchSchema>;
export type SourceContract = z.infer<typeof SourceContractSchema>;
export type FetchContract = z.infer<typeof FetchContractSchema>;
export type UpdateContract = z.infer<typeof UpdateContractSchema>;
export type FieldRuleOptions = z.infer<typeof FieldRuleOptionsSchema>;
export type FieldRule = z.infer<typeof FieldRuleSchema>;
export type Mapping = z.infer<typeof MappingSchema>;
export type Limits = z.infer<typeof LimitsSchema>;
export type ConnectionConfig = z.infer<typeof ConnectionConfigSchema>;
export type ConnectionConfigInput = z.input<typeof ConnectionConfigSchema>;
export type FieldRuleInput = z.input<typeof FieldRuleSchema>;

export interface ContractIssue {
  path: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ContractIssue[] };

// ["mapping", 2, "destination"] -> "mapping[2].destination"
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

export function toContractIssues(error: z.ZodError): ContractIssue[] {
  return error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
}

export function validateWith<S extends z.ZodType>(schema: S, input: unknown): ValidationResult<z.infer<S>> {
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toContractIssues(result.error) };
}

export function validateConnectionConfig(input: unknown): ValidationResult<ConnectionConfig> {
  return validateWith(ConnectionConfigSchema, input);
}
