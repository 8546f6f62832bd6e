import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { app } from "../../../worker/app";
import { settle } from "../alerts/support";
import { makeRun } from "../factories";
import { SANDBOX, call, createConnection, createCredential, makeConfig, unique } from "./config-api";

// Every write route from the OpenAPI document gets random junk, malformed JSON and type-corrupted
// versions of a valid body. Each must be a 4xx, and the database must be exactly as before.

type Json = Record<string, any>;
type Body = Json | Json[];
type JsonPath = Array<string | number>;
const WRITE_METHODS = ["post", "put", "patch"] as const;
const RUNS = 25;

const document = (await (await app.request("/api/openapi.json", {}, env)).json()) as Json;

const writeRoutes = Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
  WRITE_METHODS.filter((m) => item[m]?.requestBody !== undefined).map((m) => ({
    method: m.toUpperCase(),
    path,
    mediaTypes: Object.keys(item[m].requestBody.content ?? {}),
  })),
);

// Every property name any request schema knows, so random objects can never be valid by accident.
const knownFields = new Set<string>();
(function collect(node: unknown): void {
  if (Array.isArray(node)) node.forEach(collect);
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "properties" && value && typeof value === "object") for (const name of Object.keys(value)) knownFields.add(name);
      if (key === "required" && Array.isArray(value)) for (const name of value) knownFields.add(String(name));
      collect(value);
    }
  }
})(document);

function mentionsKnownField(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsKnownField);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).some(([key, inner]) => knownFields.has(key) || mentionsKnownField(inner));
  }
  return false;
}

const junk = fc.jsonValue().filter((v) => !mentionsKnownField(v) && !(Array.isArray(v) && v.length === 0));
const junkText = fc.string({ unit: fc.constantFrom("{", "}", "[", "]", '"', ",", ":", "a", "1", " ", "\n", "\\", "é") });

interface Fixtures {
  // Makes every name a template sends unique: the tests of one file share one database.
  tag: string;
  credentialId: string;
  connectionId: string;
  connectionIds: string[];
  channelId: string;
  ruleId: string;
  // A finished run with one failed job, to rerun.
  runId: string;
  // A credential whose only run is pending, to cancel in bulk.
  pendingCredentialId: string;
  // An oauth2_refresh_token credential with an authorize URL, to Connect.
  connectableCredentialId: string;
}

// Disabled, so no run status change ever turns into a delivery the dispatcher retries in the background.
const RECEIVER = `${SANDBOX}/_receiver/fuzz`;

async function makeFixtures(): Promise<Fixtures> {
  const credential = await createCredential({ scheme: "bearer", secret: "fuzz-secret-0001" });
  const connection = await createConnection(credential.id);
  const second = await createConnection(credential.id);
  await call("POST", `/api/connections/${connection.id}/records`, { raw: '[{"serial":"F-1","name":"one"}]', headers: { "content-type": "application/json" } });
  await call("PUT", "/api/settings", { body: { retention: { plan: "enterprise" } } });
  const channel = await call<{ id: string }>("POST", "/api/alerts/channels", {
    body: { kind: "webhook", name: unique("Fuzz channel"), url: RECEIVER, enabled: false },
  });
  const rule = await call<{ id: string }>("POST", "/api/alerts/rules", { body: { channel_id: channel.body.id, connection_ids: [connection.id] } });
  expect([channel.status, rule.status]).toEqual([201, 201]);
  const run = await makeRun({ credential_id: credential.id, status: "failed", connections_failed: 1 }, [
    { connection_id: connection.id, connection_name: connection.name, status: "failed" },
  ]);
  const pendingCredential = await createCredential({ scheme: "bearer", secret: "fuzz-secret-0002" });
  const connectable = await createCredential({
    scheme: "oauth2_refresh_token",
    config: { token_url: `${SANDBOX}/oauth/token`, client_id: "fuzz", authorize_url: `${SANDBOX}/oauth/authorize` },
    secret: "fuzz-secret-0003",
  });
  await makeRun({ credential_id: pendingCredential.id, status: "pending" });
  return {
    pendingCredentialId: pendingCredential.id,
    connectableCredentialId: connectable.id,
    tag: unique("fuzz"),
    credentialId: credential.id,
    connectionId: connection.id,
    connectionIds: [connection.id, second.id],
    channelId: channel.body.id,
    ruleId: rule.body.id,
    runId: run.id,
  };
}

// Junk meets real ids only on the configuration routes: an empty object is a valid alert PATCH or
// rotate-secret body, so there it would change a fixture. Templates must reach the handler: all ids real.
function concretePath(path: string, f: Fixtures, reach: "configuration" | "every"): string {
  // Connect takes an empty object too, and would start an authorization: templates only.
  if (path === "/api/credentials/{id}/connect") return path.replace("{id}", reach === "every" ? f.connectableCredentialId : "fuzz-nonexistent");
  const ids: Array<[prefix: string, id: string]> = [
    ["/api/credentials/{id}", f.credentialId],
    ["/api/connections/{id}", f.connectionId],
  ];
  if (reach === "every") ids.push(["/api/alerts/channels/{id}", f.channelId], ["/api/alerts/rules/{id}", f.ruleId], ["/api/runs/{id}", f.runId]);
  const match = ids.find(([prefix]) => path.startsWith(prefix));
  return match ? path.replace("{id}", match[1]) : path.replace(/\{[^}]+\}/g, "fuzz-nonexistent");
}

interface ValidBody {
  body: Body;
  // The paths whose type the route checks, when not all of them are.
  typed?: JsonPath[];
}

// A body each write route accepts (proven below). Corruption swaps a field's JSON kind and never uses
// null, so no field here may accept two kinds (no unions, coercions or free-form values left typed).
function validBody(method: string, path: string, f: Fixtures): ValidBody | null {
  switch (`${method} ${path}`) {
    case "POST /api/credentials":
      return { body: { name: `Fuzz credential ${f.tag}`, scheme: "basic", config: { username: "u" }, secret: "pw" } };
    case "PATCH /api/credentials/{id}":
      return { body: { name: `Fuzz renamed ${f.tag}`, secret: "new-secret" } };
    case "POST /api/connections":
      return { body: { credential_id: f.credentialId, name: `Fuzz connection ${f.tag}`, enabled: true, debug: false, config: makeConfig() } };
    case "PATCH /api/connections/{id}":
      return { body: { enabled: false, config: { limits: { concurrency: 3 }, update: { method: "PUT", url_template: `${SANDBOX}/api/devices/{serial}` } } } };
    case "POST /api/credentials/{id}/connections/order":
      return { body: { connection_ids: [...f.connectionIds].reverse() } };
    case "POST /api/connections/{id}/records":
      // Records are free-form by design (any field, any serial a scalar): only each being an object is checked.
      return {
        body: [
          { serial: "F-2", name: "two" },
          { serial: "F-3", name: "three" },
        ],
        typed: [[0], [1]],
      };
    case "POST /api/connections/{id}/test-lookup":
      return { body: { serial: "F-1" } };
    case "POST /api/credentials/{id}/test-auth":
      return { body: { url: `${SANDBOX}/api/devices/F-1` } };
    case "POST /api/credentials/{id}/connect":
      return { body: {} };
    case "PUT /api/settings":
      return { body: { retention: { plan: "custom", custom_days: 10 } } };
    case "POST /api/tokens":
      return { body: { name: `Fuzz token ${f.tag}`, role: "viewer" } };
    case "POST /api/alerts/channels":
      return {
        body: { kind: "webhook", name: `Fuzz channel ${f.tag}`, url: RECEIVER, event_types: ["run.status_changed", "job.status_changed"], enabled: false },
      };
    case "PATCH /api/alerts/channels/{id}":
      return { body: { name: `Fuzz channel renamed ${f.tag}`, enabled: false, url: `${RECEIVER}-2`, event_types: ["alert.raised"] } };
    case "POST /api/alerts/channels/{id}/rotate-secret":
      return { body: { grace_hours: 2 } };
    case "POST /api/alerts/rules":
      return { body: { channel_id: f.channelId, connection_ids: [f.connectionIds[1]!], failure_threshold: 2, notify_recovery: false, enabled: true } };
    case "PATCH /api/alerts/rules/{id}":
      return { body: { connection_ids: [...f.connectionIds], failure_threshold: 3, notify_recovery: false, enabled: false } };
    case "POST /api/runs":
      return { body: { credential_id: f.credentialId, type: "full", mode: "dry", connection_ids: [f.connectionId], reset: true } };
    case "POST /api/runs/{id}/rerun":
      return { body: { scope: "failed" } };
    case "POST /api/runs/bulk/preview":
      return { body: { action: "rerun", credential: f.credentialId, status: "failed" } };
    case "POST /api/runs/bulk/rerun":
      return { body: { credential: f.credentialId, status: "failed", expected_count: 1, scope: "failed" } };
    case "POST /api/runs/bulk/cancel":
      return { body: { credential: f.pendingCredentialId, expected_count: 1 } };
    case "PUT /api/connections/{id}/alerts-mute":
      return { body: { until: "2099-01-01T00:00:00Z" } };
    case "PUT /api/connections/{id}/alert-routes":
      return { body: { routes: [{ rule_id: f.ruleId, channel_id: f.channelId }] } };
    // Sections left out are not managed, so this document changes nothing and applies as a plan of no change.
    case "POST /api/config/plan":
    case "POST /api/config/apply":
      return { body: { document: { version: 1 } } };
    default:
      return null;
  }
}

// Runs a valid send started are canceled and their outbox events dispatched, so nothing writes to the
// database behind a later test's snapshot. The test bindings' COORDINATOR_TUNING (vitest.config.ts) holds
// their alarms, which keeps them from calling out before that.

async function stopRuns(): Promise<void> {
  const { results } = await env.LEDGER.prepare("SELECT id FROM runs WHERE status IN ('pending', 'running')").all<{ id: string }>();
  for (const { id } of results) {
    const res = await call("POST", `/api/runs/${id}/cancel`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  await settle();
}

function paths(value: unknown, prefix: JsonPath = []): JsonPath[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => [[...prefix, i], ...paths(item, [...prefix, i])]);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...paths(item, [...prefix, key])]);
  }
  return [];
}

const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

function corrupt(body: Body, path: JsonPath, replacement: unknown): Body {
  const copy = structuredClone(body);
  let target: any = copy;
  for (const segment of path.slice(0, -1)) target = target[segment];
  target[path.at(-1)!] = replacement;
  return copy;
}

function valueAt(body: Body, path: JsonPath): unknown {
  return path.reduce<any>((node, segment) => node?.[segment], body);
}

// Everything but bookkeeping that legitimately moves: token last-use times and migration records.
async function snapshot(): Promise<string> {
  const { results: tables } = await env.LEDGER.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' AND name NOT LIKE '%_fts%' ORDER BY name",
  ).all<{ name: string }>();
  const dump: Record<string, string[]> = {};
  // Every table in one round trip: a query each, per test, made this file the suite's slowest.
  const reads = await env.LEDGER.batch<Json>(tables.map(({ name }) => env.LEDGER.prepare(`SELECT * FROM "${name}"`)));
  tables.forEach(({ name }, i) => {
    dump[name] = reads[i]!.results.map((row) => JSON.stringify(name === "api_tokens" ? { ...row, last_used_at: null } : row)).sort();
  });
  return JSON.stringify(dump);
}

async function send(method: string, path: string, body: string, contentType: string) {
  return call(method, path, { as: "admin", raw: body, headers: { "content-type": contentType } });
}

// Each test snapshots the whole ledger twice and sends several requests: on a loaded 2-core machine that can take
// longer than the default 5 s, which is a timeout, not a statement about speed.
describe.each(writeRoutes)("$method $path", { timeout: 30_000 }, ({ method, path, mediaTypes }) => {
  const jsonType = mediaTypes.find((t) => t.includes("json")) ?? "application/json";

  it("answers random JSON with a 4xx and changes nothing", async () => {
    const f = await makeFixtures();
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(junk, async (value) => {
        const res = await send(method, concretePath(path, f, "configuration"), JSON.stringify(value), jsonType);
        expect(res.status, JSON.stringify(value)).toBeGreaterThanOrEqual(400);
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(await snapshot()).toBe(before);
  });

  it("answers malformed text in each declared content type with a 4xx and changes nothing", async () => {
    const f = await makeFixtures();
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(junkText, fc.constantFrom(...mediaTypes, "text/plain"), async (text, type) => {
        const res = await send(method, concretePath(path, f, "configuration"), text, type);
        expect(res.status, `${type}: ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(await snapshot()).toBe(before);
  });

  it("accepts its valid body, sent unmodified, with a 2xx", async () => {
    const f = await makeFixtures();
    const template = validBody(method, path, f);
    expect(template, "no valid body for this route: add one to validBody").not.toBeNull();
    try {
      const res = await send(method, concretePath(path, f, "every"), JSON.stringify(template!.body), jsonType);
      expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(200);
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    } finally {
      await stopRuns();
    }
  });

  it("answers a valid body with one field of the wrong type, an unknown field or cut short with a 4xx", async () => {
    const f = await makeFixtures();
    const template = validBody(method, path, f);
    expect(template, "no valid body for this route: add one to validBody").not.toBeNull();
    const { body: valid, typed = paths(valid) } = template!;
    const before = await snapshot();
    // An empty object has no field to give the wrong type: the body itself is of another kind instead.
    const wrongType =
      typed.length === 0
        ? fc
            .jsonValue()
            .filter((value) => value !== null && kind(value) !== kind(valid))
            .map((value) => JSON.stringify(value))
        : fc
            .tuple(fc.constantFrom(...typed), fc.jsonValue())
            .filter(([at, value]) => value !== null && kind(value) !== kind(valueAt(valid, at)))
            .map(([at, value]) => JSON.stringify(corrupt(valid, at, value)));
    // A list of free-form records has no unknown field.
    const unknownField = Array.isArray(valid) ? [] : [fc.jsonValue().map((value) => JSON.stringify({ ...valid, zz_not_a_field: value }))];
    const text = JSON.stringify(valid);
    const cutShort = fc.integer({ min: 0, max: text.length - 1 }).map((end) => text.slice(0, end));

    await fc.assert(
      fc.asyncProperty(fc.oneof(wrongType, ...unknownField, cutShort), async (body) => {
        const res = await send(method, concretePath(path, f, "every"), body, jsonType);
        expect(res.status, body).toBeGreaterThanOrEqual(400);
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      }),
      { numRuns: RUNS * 2 },
    );
    expect(await snapshot()).toBe(before);
  });
});

describe("the fuzzed routes", () => {
  it("include every configuration write route", () => {
    const names = writeRoutes.map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "POST /api/credentials",
        "PATCH /api/credentials/{id}",
        "POST /api/credentials/{id}/connections/order",
        "POST /api/connections",
        "PATCH /api/connections/{id}",
        "POST /api/connections/{id}/records",
        "POST /api/connections/{id}/test-lookup",
        "POST /api/credentials/{id}/test-auth",
        "PUT /api/settings",
        "POST /api/config/plan",
        "POST /api/config/apply",
      ]),
    );
  });
});
