import { env } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { app } from "../../../worker/app";
import { SANDBOX, call, createConnection, createCredential, makeConfig } from "./config-api";

// Every write route from the OpenAPI document gets random junk, malformed JSON and type-corrupted
// versions of a valid body. Each must be a 4xx, and the database must be exactly as before.

type Json = Record<string, any>;
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
  credentialId: string;
  connectionId: string;
  connectionIds: string[];
}

async function makeFixtures(): Promise<Fixtures> {
  const credential = await createCredential({ scheme: "bearer", secret: "fuzz-secret-0001" });
  const connection = await createConnection(credential.id);
  const second = await createConnection(credential.id);
  await call("POST", `/api/connections/${connection.id}/records`, { raw: '[{"serial":"F-1","name":"one"}]', headers: { "content-type": "application/json" } });
  await call("PUT", "/api/settings", { body: { retention: { plan: "enterprise" } } });
  return { credentialId: credential.id, connectionId: connection.id, connectionIds: [connection.id, second.id] };
}

function concretePath(path: string, f: Fixtures): string {
  if (path.startsWith("/api/credentials/{id}")) return path.replace("{id}", f.credentialId);
  if (path.startsWith("/api/connections/{id}")) return path.replace("{id}", f.connectionId);
  return path.replace(/\{[^}]+\}/g, "fuzz-nonexistent");
}

// Valid bodies for the configuration routes; corrupting any one field's type must make them invalid.
function validBody(method: string, path: string, f: Fixtures): Json | null {
  switch (`${method} ${path}`) {
    case "POST /api/credentials":
      return { name: "Fuzz credential", scheme: "basic", config: { username: "u" }, secret: "pw" };
    case "PATCH /api/credentials/{id}":
      return { name: "Fuzz renamed", secret: "new-secret" };
    case "POST /api/connections":
      return { credential_id: f.credentialId, name: "Fuzz connection", enabled: true, debug: false, config: makeConfig() };
    case "PATCH /api/connections/{id}":
      return { enabled: false, config: { limits: { concurrency: 3 }, update: { method: "PUT", url_template: `${SANDBOX}/api/devices/{serial}` } } };
    case "POST /api/credentials/{id}/connections/order":
      return { connection_ids: [...f.connectionIds].reverse() };
    case "POST /api/connections/{id}/test-lookup":
      return { serial: "F-1" };
    case "PUT /api/settings":
      return { retention: { plan: "custom", custom_days: 10 } };
    case "POST /api/tokens":
      return { name: "fuzz token", role: "viewer" };
    default:
      return null;
  }
}

type JsonPath = Array<string | number>;

function paths(value: unknown, prefix: JsonPath = []): JsonPath[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => [[...prefix, i], ...paths(item, [...prefix, i])]);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => [[...prefix, key], ...paths(item, [...prefix, key])]);
  }
  return [];
}

const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

function corrupt(body: Json, path: JsonPath, replacement: unknown): Json {
  const copy = structuredClone(body);
  let target: any = copy;
  for (const segment of path.slice(0, -1)) target = target[segment];
  target[path.at(-1)!] = replacement;
  return copy;
}

function valueAt(body: Json, path: JsonPath): unknown {
  return path.reduce<any>((node, segment) => node?.[segment], body);
}

// Everything but bookkeeping that legitimately moves: token last-use times and migration records.
async function snapshot(): Promise<string> {
  const { results: tables } = await env.LEDGER.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' AND name NOT LIKE '%_fts%' ORDER BY name",
  ).all<{ name: string }>();
  const dump: Record<string, string[]> = {};
  for (const { name } of tables) {
    const { results } = await env.LEDGER.prepare(`SELECT * FROM "${name}"`).all<Json>();
    dump[name] = results.map((row) => JSON.stringify(name === "api_tokens" ? { ...row, last_used_at: null } : row)).sort();
  }
  return JSON.stringify(dump);
}

async function send(method: string, path: string, body: string, contentType: string) {
  return call(method, path, { as: "admin", raw: body, headers: { "content-type": contentType } });
}

describe.each(writeRoutes)("$method $path", ({ method, path, mediaTypes }) => {
  const jsonType = mediaTypes.find((t) => t.includes("json")) ?? "application/json";

  it("answers random JSON with a 4xx and changes nothing", async () => {
    const f = await makeFixtures();
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(junk, async (value) => {
        const res = await send(method, concretePath(path, f), JSON.stringify(value), jsonType);
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
        const res = await send(method, concretePath(path, f), text, type);
        expect(res.status, `${type}: ${JSON.stringify(text)}`).toBeGreaterThanOrEqual(400);
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(await snapshot()).toBe(before);
  });

  it("answers a valid body with one field of the wrong type, an unknown field or cut short with a 4xx", async (ctx) => {
    const f = await makeFixtures();
    const template = validBody(method, path, f);
    if (template === null) return ctx.skip();
    const before = await snapshot();
    const fieldPaths = paths(template);
    const wrongType = fc
      .tuple(fc.constantFrom(...fieldPaths), fc.jsonValue())
      .filter(([at, value]) => value !== null && kind(value) !== kind(valueAt(template, at)))
      .map(([at, value]) => JSON.stringify(corrupt(template, at, value)));
    const unknownField = fc.jsonValue().map((value) => JSON.stringify({ ...template, zz_not_a_field: value }));
    const text = JSON.stringify(template);
    const cutShort = fc.integer({ min: 0, max: text.length - 1 }).map((end) => text.slice(0, end));

    await fc.assert(
      fc.asyncProperty(fc.oneof(wrongType, unknownField, cutShort), async (body) => {
        const res = await send(method, concretePath(path, f), body, jsonType);
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
        "PUT /api/settings",
      ]),
    );
  });
});
