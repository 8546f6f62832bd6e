import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { demoSourceDevices, type DemoSourceDevice, type FleetDevice } from "./demo-data";
import { identityMismatch, parseDeviceUpdate, type DeviceChanges } from "./device-fields";
import { parseRootElement, toXmlDocument } from "./device-xml";
import type { FleetStore } from "./fleet-store";
import { buildPageResponse, parsePageRequest, startOf, type PageRequest, type PageSlice } from "./paging";
import { createOAuthRoutes } from "./oauth";
import { sigv4Issue } from "./aws-sigv4";
import { assumedRoleIssue, createStsRoutes } from "./aws-sts";
import { createReceiverRoutes } from "./receiver";
import { sandboxConfigPatchSchema, type SandboxConfig } from "./sandbox-config";
import { SOURCE_EXPORT_MEDIA_TYPES, sourceExportBody, type SourceExportFormat } from "./source-export";
import { log } from "../observability/log";

export interface SandboxRoutesOptions {
  store: FleetStore;
  defaults: SandboxConfig;
  now?: () => string;
  sleep?: (ms: number) => Promise<void>;
}

export const INERT_RESPONSE_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
} as const;

const MAX_BULK = 500;
const DEFAULT_TOP_WRITES = 20;

export function createSandboxRoutes(options: SandboxRoutesOptions): Hono {
  const { store, defaults } = options;
  const now = options.now ?? (() => new Date().toISOString());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  // A config saved by an older build lacks newer knobs: those take their defaults.
  const config = (): SandboxConfig => ({ ...defaults, ...store.readConfig() });

  const app = new Hono().basePath("/sandbox");
  app.notFound((c) => fail(c, 404, "NOT_FOUND", `no sandbox route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    log.error("sandbox error", { method: c.req.method, path: c.req.path, error: err });
    return fail(c, 500, "INTERNAL", "the sandbox failed; see the worker log");
  });

  // Nothing the sandbox answers (echoed serials, XML, error messages) may render or be framed as a page of
  // the dashboard's origin.
  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(INERT_RESPONSE_HEADERS)) c.res.headers.set(name, value);
  });

  // A body left unread when answering early (405, 415, 429…) would still be streaming from the caller
  // after the response; drain it so the sender's pipe completes.
  app.use("*", async (c, next) => {
    await next();
    if (c.req.raw.body !== null && !c.req.raw.bodyUsed) await c.req.raw.arrayBuffer();
  });

  app.get("/", (c) => c.json(describeEndpoints()));
  app.route("/_receiver", createReceiverRoutes(now));
  app.route(
    "/oauth",
    createOAuthRoutes(store, config, () => Date.parse(now())),
  );
  app.route(
    "/sts",
    createStsRoutes(store, config, () => Date.parse(now())),
  );

  // Behaviour knobs and counters: never throttled, never behind the demo auth token.
  app.get("/_config", (c) => c.json(config()));
  app.put("/_config", async (c) => {
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const parsed = sandboxConfigPatchSchema.safeParse(body.value);
    if (!parsed.success) {
      const details = parsed.error.issues.flatMap((issue) =>
        issue.code === "unrecognized_keys"
          ? issue.keys.map((key) => ({ field: key, message: "unknown setting" }))
          : [{ field: issue.path.join(".") || "(body)", message: issue.message }],
      );
      const message = details.map((d) => `${d.field}: ${d.message}`).join("; ");
      return fail(c, 400, "INVALID_CONFIG", message, details);
    }
    const next: SandboxConfig = { ...config(), ...parsed.data };
    store.writeConfig(next);
    return c.json(next);
  });
  app.all("/_config", (c) => methodNotAllowed(c, "GET, PUT"));

  app.get("/_stats", (c) => {
    const serial = c.req.query("serial");
    const topRaw = c.req.query("top");
    if (topRaw !== undefined && (!/^\d+$/.test(topRaw) || Number(topRaw) > MAX_BULK)) {
      return fail(c, 400, "INVALID_QUERY", `top must be an integer from 0 to ${MAX_BULK}`, { field: "top" });
    }
    const writesBySerial =
      serial !== undefined ? { [serial]: store.writesFor(serial) } : store.topWrites(topRaw === undefined ? DEFAULT_TOP_WRITES : Number(topRaw));
    return c.json({ ...store.stats(), serials_written: store.serialsWritten(), writes_by_serial: writesBySerial });
  });
  app.all("/_stats", (c) => methodNotAllowed(c, "GET"));

  app.post("/_reset", (c) => {
    const keepConfig = c.req.query("keep_config") === "true";
    store.reset({ keepConfig });
    return c.json({ reset: true, devices: store.countDevices(), config: config() });
  });
  app.all("/_reset", (c) => methodNotAllowed(c, "POST"));

  // The demo source as an HTTP API, for connections whose source kind is "http": JSON, or an NDJSON or CSV export
  // of the same records under the same paging (the next page in the Link header, the total in X-Total-Count).
  const serveSource = async (c: Context, format: "json" | SourceExportFormat, gzip = false): Promise<Response> => {
    store.bump("source_requests");
    const url = new URL(c.req.url);
    const paging = parsePageRequest(url);
    if (!paging.ok) return fail(c, 400, "INVALID_QUERY", paging.message, { field: paging.param });
    let records = sourceRecords();
    const since = c.req.query("updated_since");
    if (since !== undefined) {
      const sinceMs = Date.parse(since);
      if (Number.isNaN(sinceMs)) return fail(c, 400, "INVALID_QUERY", "updated_since must be an ISO 8601 date-time", { field: "updated_since" });
      records = records.filter((r) => Date.parse(r.last_seen_at) >= sinceMs);
    }
    const serial = c.req.query("serial");
    if (serial !== undefined) records = records.filter((r) => r.serial === serial);
    // An export file as an object store serves it: a Range request gets those bytes of every record.
    const range = c.req.header("range");
    if (format !== "json" && !gzip && range !== undefined) return byteRange(c, sourceExportBody(records, format), range, SOURCE_EXPORT_MEDIA_TYPES[format]);
    const slice = sliceSource(records, paging.request);
    if (format === "json") return respondPage(c, url, "devices", paging.request, slice);
    const { link } = buildPageResponse(url, "devices", paging.request, slice);
    if (link !== null) c.header("Link", link);
    c.header("X-Total-Count", String(slice.total));
    const body = sourceExportBody(slice.items, format);
    // A warehouse export as an object store keeps it: a gzip file, with no Content-Encoding to undo.
    if (gzip) return c.body(await gzipped(body), 200, { "Content-Type": "application/gzip" });
    return c.body(body, 200, { "Content-Type": SOURCE_EXPORT_MEDIA_TYPES[format] });
  };
  for (const [path, format, gzip] of [
    ["/source/devices", "json", false],
    ["/source/devices.ndjson", "ndjson", false],
    ["/source/devices.csv", "csv", false],
    ["/source/devices.ndjson.gz", "ndjson", true],
    ["/source/devices.csv.gz", "csv", true],
  ] as const) {
    app.get(path, (c) => serveSource(c, format, gzip));
    app.all(path, (c) => methodNotAllowed(c, "GET"));
  }

  app.use("/api/*", destinationKnobs(store, config, sleep, now));
  app.use("/api/devices/:serial", errorsInBody(config));
  app.use("/xml/*", destinationKnobs(store, config, sleep, now));

  app.get("/api/devices", (c) => {
    const url = new URL(c.req.url);
    const paging = parsePageRequest(url);
    if (!paging.ok) return fail(c, 400, "INVALID_QUERY", paging.message, { field: paging.param });
    const slice = sliceFleet(store, paging.request);
    if (slice === null) {
      const param = paging.request.kind === "cursor" ? paging.request.param : "cursor";
      return fail(c, 400, "INVALID_QUERY", param === "cursor" ? "cursor is not one this API issued" : "starting_after must be a device id", { field: param });
    }
    return respondPage(c, url, "devices", paging.request, slice);
  });
  app.all("/api/devices", (c) => methodNotAllowed(c, "GET"));

  app.post("/api/devices/bulk", async (c) => {
    if (!isJsonType(c)) return unsupportedMediaType(c, "application/json");
    const body = await readJson(c);
    if (!body.ok) return body.response;
    const planned = planBulk(store, body.value);
    if (!planned.ok) return fail(c, 400, "INVALID_CONTENT", planned.message, planned.details);
    const at = now();
    const results = store.transactionally(() =>
      planned.items.map(({ serial, changes }) => {
        const device = store.getDevice(serial);
        if (device === null) return { serial, status: 404, error: { code: "NOT_FOUND", message: `no device with serial ${serial}` } };
        return { serial, status: 200, device: store.updateDevice(device, changes, at) };
      }),
    );
    const notFound = results.filter((r) => r.status === 404).length;
    return c.json({ results, updated: results.length - notFound, not_found: notFound }, notFound === 0 ? 200 : 207);
  });
  app.all("/api/devices/bulk", (c) => methodNotAllowed(c, "POST"));

  // Each device's version is its write count, as its ETag; a write with If-Match must name the current one.
  app.get("/api/devices/:serial", (c) => {
    const device = store.getDevice(c.req.param("serial"));
    if (device === null) return deviceNotFound(c);
    c.header("ETag", deviceEtag(store, device.serial));
    return c.json({ device });
  });
  // JSON, or a form as Stripe-style APIs take one (each field once; its text is read as the field's type).
  app.on(["PUT", "PATCH"], "/api/devices/:serial", async (c) => {
    const form = mediaType(c) === "application/x-www-form-urlencoded";
    if (!form && !isJsonType(c)) return unsupportedMediaType(c, "application/json or application/x-www-form-urlencoded");
    const device = store.getDevice(c.req.param("serial"));
    if (device === null) return deviceNotFound(c);
    const stale = preconditionFailure(c, store, device.serial);
    if (stale !== null) return stale;
    const body = form ? await readForm(c) : await readJson(c);
    if (!body.ok) return body.response;
    if (!isPlainObject(body.value)) return fail(c, 400, "INVALID_CONTENT", "the body must be a JSON object of device fields");
    const parsed = parseDeviceUpdate(body.value, form ? "form" : "json");
    if (!parsed.ok) return fail(c, 400, "INVALID_CONTENT", parsed.message, { field: parsed.field });
    const mismatch = identityMismatch(parsed.identity, device);
    if (mismatch !== null) return fail(c, 400, "INVALID_CONTENT", mismatch);
    const updated = store.updateDevice(device, parsed.changes, now());
    c.header("ETag", deviceEtag(store, device.serial));
    return c.json({ device: updated });
  });
  app.all("/api/devices/:serial", (c) => methodNotAllowed(c, "GET, PUT, PATCH"));

  app.get("/xml/devices/:serial", (c) => {
    const device = store.getDevice(c.req.param("serial"));
    if (device === null) return deviceNotFound(c);
    c.header("ETag", deviceEtag(store, device.serial));
    return xml(c, device);
  });
  app.put("/xml/devices/:serial", async (c) => {
    if (!isXmlType(c)) return unsupportedMediaType(c, "application/xml");
    const device = store.getDevice(c.req.param("serial"));
    if (device === null) return deviceNotFound(c);
    const stale = preconditionFailure(c, store, device.serial);
    if (stale !== null) return stale;
    const doc = parseRootElement(await c.req.text(), "device");
    if (!doc.ok) return fail(c, 400, "INVALID_CONTENT", doc.message);
    const parsed = parseDeviceUpdate(doc.fields, "xml");
    if (!parsed.ok) return fail(c, 400, "INVALID_CONTENT", parsed.message, { field: parsed.field });
    const mismatch = identityMismatch(parsed.identity, device);
    if (mismatch !== null) return fail(c, 400, "INVALID_CONTENT", mismatch);
    const updated = store.updateDevice(device, parsed.changes, now());
    c.header("ETag", deviceEtag(store, device.serial));
    return xml(c, updated);
  });
  app.all("/xml/devices/:serial", (c) => methodNotAllowed(c, "GET, PUT"));

  return app;
}

// Latency, auth, throttling and injected errors, in the order a real gateway applies them.
function destinationKnobs(store: FleetStore, config: () => SandboxConfig, sleep: (ms: number) => Promise<void>, now: () => string): MiddlewareHandler {
  // With both knobs set, either the fixed token or a live OAuth access token gets in.
  const authorized = (knobs: SandboxConfig, bearer: string | null): boolean =>
    (knobs.auth_token === null && knobs.oauth === null && knobs.oauth_jwt === null) ||
    (bearer !== null && knobs.auth_token === bearer) ||
    (bearer !== null && (knobs.oauth !== null || knobs.oauth_jwt !== null) && store.tokenIsLive(bearer, Date.parse(now())));
  return async (c, next) => {
    const knobs = config();
    const n = store.bump("requests");
    if (knobs.latency_ms > 0) await sleep(knobs.latency_ms);
    if (knobs.aws_sigv4 !== null) {
      const body = await c.req.text();
      const refused =
        knobs.aws_sigv4.role_arn === undefined
          ? await sigv4Issue(c.req.raw, body, knobs.aws_sigv4, Date.parse(now()))
          : await assumedRoleIssue(c.req.raw, body, knobs.aws_sigv4, store, Date.parse(now()));
      if (refused !== null) {
        store.bump("unauthorized");
        return c.json({ message: refused }, 403);
      }
    } else if (!authorized(knobs, bearerToken(c.req.header("authorization")))) {
      store.bump("unauthorized");
      c.header("WWW-Authenticate", 'Bearer realm="sandbox"');
      return fail(c, 401, "UNAUTHORIZED", "a valid bearer token is required");
    }
    if (knobs.throttle_every !== null && n % knobs.throttle_every === 0) {
      store.bump("throttled");
      c.header("Retry-After", String(knobs.retry_after_s));
      return fail(c, 429, "RATE_LIMITED", `too many requests; retry after ${knobs.retry_after_s} s`);
    }
    if (knobs.error_every !== null && n % knobs.error_every === 0) {
      store.bump("errors");
      return fail(c, 503, "UNAVAILABLE", "the fleet API is temporarily unavailable");
    }
    await next();
  };
}

const CONTENT_ERRORS = new Set([400, 404, 409, 412, 422]);

function errorsInBody(config: () => SandboxConfig): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (!config().errors_in_body || (c.req.method !== "PUT" && c.req.method !== "PATCH")) return;
    const { status } = c.res;
    if (status >= 200 && status <= 299) {
      const answer = await c.res.json<Record<string, unknown>>();
      c.res = Response.json({ ok: true, ...answer });
    } else if (CONTENT_ERRORS.has(status)) {
      const { error } = await c.res.json<{ error: unknown }>();
      c.res = Response.json({ ok: false, error });
    }
  };
}

interface PlannedItem {
  serial: string;
  changes: DeviceChanges;
}

type BulkPlan = { ok: true; items: PlannedItem[] } | { ok: false; message: string; details?: { index?: number; field?: string | null } };

// Everything is validated before anything is written: a bad item refuses the whole request.
function planBulk(store: FleetStore, body: unknown): BulkPlan {
  if (!isPlainObject(body) || !Array.isArray(body.devices)) {
    return { ok: false, message: 'the body must be { "devices": [ { "serial": …, fields… } ] }', details: { field: "devices" } };
  }
  if (body.devices.length > MAX_BULK) {
    return { ok: false, message: `at most ${MAX_BULK} devices per request, got ${body.devices.length}`, details: { field: "devices" } };
  }
  const items: PlannedItem[] = [];
  for (const [index, item] of body.devices.entries()) {
    if (!isPlainObject(item) || typeof item.serial !== "string" || item.serial === "") {
      return { ok: false, message: `devices[${index}] must be an object with a string "serial"`, details: { index, field: "serial" } };
    }
    const parsed = parseDeviceUpdate(item, "json");
    if (!parsed.ok) return { ok: false, message: `devices[${index}]: ${parsed.message}`, details: { index, field: parsed.field } };
    const device = store.getDevice(item.serial);
    const mismatch = device === null ? null : identityMismatch(parsed.identity, device);
    if (mismatch !== null) return { ok: false, message: `devices[${index}]: ${mismatch}`, details: { index, field: "id" } };
    items.push({ serial: item.serial, changes: parsed.changes });
  }
  return { ok: true, items };
}

function sliceFleet(store: FleetStore, request: PageRequest): PageSlice<FleetDevice> | null {
  const total = store.countDevices();
  if (request.kind !== "cursor") {
    const offset = startOf(request);
    const items = store.pageDevices(offset, request.perPage);
    return { items, total, hasMore: offset + request.perPage < total, lastKey: lastOf(items, (d) => String(d.id)) };
  }
  const afterId = request.after === null ? 0 : Number(request.after);
  if (!Number.isSafeInteger(afterId)) return null;
  const rows = store.devicesAfterId(afterId, request.perPage + 1);
  const items = rows.slice(0, request.perPage);
  return { items, total, hasMore: rows.length > request.perPage, lastKey: lastOf(items, (d) => String(d.id)) };
}

function sliceSource(records: readonly DemoSourceDevice[], request: PageRequest): PageSlice<DemoSourceDevice> {
  const total = records.length;
  const start = request.kind !== "cursor" ? startOf(request) : request.after === null ? 0 : indexAfter(records, request.after);
  const items = records.slice(start, start + request.perPage);
  return { items, total, hasMore: start + request.perPage < total, lastKey: lastOf(items, (r) => r.serial) };
}

// Records are sorted by serial, so the cursor position is the first serial beyond the last one served.
function indexAfter(records: readonly DemoSourceDevice[], serial: string): number {
  const i = records.findIndex((r) => r.serial > serial);
  return i === -1 ? records.length : i;
}

let cachedSource: readonly DemoSourceDevice[] | null = null;
function sourceRecords(): readonly DemoSourceDevice[] {
  cachedSource ??= demoSourceDevices().sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
  return cachedSource;
}

function respondPage<T>(c: Context, url: URL, key: string, request: PageRequest, slice: PageSlice<T>): Response {
  const page = buildPageResponse(url, key, request, slice);
  if (page.link !== null) c.header("Link", page.link);
  // As many list APIs do: the whole listing's size, so a client can show progress before the last page.
  c.header("X-Total-Count", String(slice.total));
  return c.json(page.body);
}

function lastOf<T>(items: readonly T[], key: (item: T) => string): string | null {
  const last = items.at(-1);
  return last === undefined ? null : key(last);
}

type BodyRead = { ok: true; value: unknown } | { ok: false; response: Response };

async function readForm(c: Context): Promise<BodyRead> {
  const value: Record<string, string> = {};
  for (const [name, field] of new URLSearchParams(await c.req.text())) {
    if (Object.hasOwn(value, name)) return { ok: false, response: fail(c, 400, "INVALID_CONTENT", `field "${name}" appears twice in the form`) };
    value[name] = field;
  }
  return { ok: true, value };
}

async function readJson(c: Context): Promise<BodyRead> {
  const text = await c.req.text();
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return { ok: false, response: fail(c, 400, "INVALID_CONTENT", `the body is not valid JSON: ${err.message}`) };
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

function isJsonType(c: Context): boolean {
  const type = mediaType(c);
  return type === "application/json" || /^application\/[\w.+-]+\+json$/.test(type);
}

function isXmlType(c: Context): boolean {
  const type = mediaType(c);
  return type === "application/xml" || type === "text/xml" || /^application\/[\w.+-]+\+xml$/.test(type);
}

function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match === null ? null : match[1]!;
}

function xml(c: Context, device: FleetDevice): Response {
  return c.body(toXmlDocument("device", { ...device }), 200, { "Content-Type": "application/xml; charset=utf-8" });
}

function fail(c: Context, status: ContentfulStatusCode, code: string, message: string, details?: unknown): Response {
  return c.json({ error: details === undefined ? { code, message } : { code, message, details } }, status);
}

function methodNotAllowed(c: Context, allow: string): Response {
  c.header("Allow", allow);
  return fail(c, 405, "METHOD_NOT_ALLOWED", `${c.req.method} is not allowed on ${c.req.path}; use ${allow}`);
}

function unsupportedMediaType(c: Context, expected: string): Response {
  const got = mediaType(c) || "no content type";
  return fail(c, 415, "UNSUPPORTED_MEDIA_TYPE", `this endpoint accepts ${expected}, got ${got}`);
}

async function gzipped(text: string): Promise<ArrayBuffer> {
  return new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
}

// One range, "bytes=a-b" or "bytes=a-", of a body, as S3 and R2 answer it: 206 with Content-Range, or 416 past the end.
function byteRange(c: Context, body: string, header: string, contentType: string): Response {
  const bytes = new TextEncoder().encode(body);
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (match === null) return fail(c, 400, "INVALID_RANGE", `Range must be one "bytes=start-end", not ${header}`);
  const start = Number(match[1]);
  if (start >= bytes.length) {
    return c.body(null, 416, { "Content-Range": `bytes */${bytes.length}` });
  }
  const end = Math.min(match[2] === "" ? bytes.length - 1 : Number(match[2]), bytes.length - 1);
  return c.body(bytes.slice(start, end + 1), 206, {
    "Content-Type": contentType,
    "Content-Range": `bytes ${start}-${end}/${bytes.length}`,
    "Accept-Ranges": "bytes",
  });
}

function deviceEtag(store: FleetStore, serial: string): string {
  return `"v${store.writesFor(serial)}"`;
}

// If-Match: * or a list of entity tags, one of which must be the device's current one (weak tags never match).
function preconditionFailure(c: Context, store: FleetStore, serial: string): Response | null {
  const header = c.req.header("if-match");
  if (header === undefined || header.trim() === "*") return null;
  const current = deviceEtag(store, serial);
  if (header.split(",").some((tag) => tag.trim() === current)) return null;
  c.header("ETag", current);
  return fail(c, 412, "PRECONDITION_FAILED", `device ${serial} is at ${current}, not ${header.trim()}: read it again before writing`);
}

function deviceNotFound(c: Context): Response {
  return fail(c, 404, "NOT_FOUND", `no device with serial ${c.req.param("serial") ?? ""}`);
}

function describeEndpoints(): Record<string, unknown> {
  return {
    name: "Outbound Sync sandbox fleet API",
    endpoints: [
      "GET /sandbox/api/devices?page=&per_page= | ?cursor=",
      "GET|PUT|PATCH /sandbox/api/devices/{serial} (ETag on GET; a write with If-Match must name it, else 412)",
      "POST /sandbox/api/devices/bulk",
      "GET|PUT /sandbox/xml/devices/{serial}",
      "GET /sandbox/source/devices?page=&per_page= | ?cursor= &updated_since=&serial=",
      "GET /sandbox/source/devices.ndjson | /sandbox/source/devices.csv (the same records and paging as exports; a Range header reads the whole export's bytes)",
      "GET /sandbox/source/devices.ndjson.gz | /sandbox/source/devices.csv.gz (the same exports as gzip files)",
      "GET|PUT /sandbox/_config",
      "GET /sandbox/_stats?serial=&top=",
      "POST /sandbox/_reset?keep_config=true",
      "POST /sandbox/oauth/token (client credentials and refresh tokens when the oauth knob is set, JWT bearer assertions when oauth_jwt is) | POST /sandbox/oauth/_revoke | POST /sandbox/oauth/_revoke_refresh | GET /sandbox/oauth/_refresh_tokens",
      "aws_sigv4 knob: /api and /xml take only requests signed with AWS Signature V4 under its key, region and service (with role_arn: only the role's temporary keys from POST /sandbox/sts)",
      "POST /sandbox/_receiver/{name} (webhook receiver) | GET lists requests | PUT /sandbox/_receiver/{name}/_script",
    ],
  };
}
