import { describe, expect, it } from "vitest";
import committedCliDocument from "../../../cli/generated/openapi.json?raw";
import { call } from "./config-api";

type Json = Record<string, any>;

async function openapi(): Promise<Json> {
  const res = await call<Json>("GET", "/api/openapi.json", { as: null });
  expect(res.status).toBe(200);
  return res.body;
}

describe("GET /api/openapi.json", () => {
  it("is an OpenAPI 3.1 document with bearer security and per-operation roles", async () => {
    const doc = await openapi();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: "Outbound Sync API", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual(expect.arrayContaining([{ bearerAuth: [] }]));
    expect(doc.paths["/api/health"].get.security).toEqual([]);
    expect(doc.paths["/api/connections/{id}"].patch["x-min-role"]).toBe("admin");
  });

  it("describes connection bodies with the engine's own contract schemas", async () => {
    const doc = await openapi();
    const schemas = doc.components.schemas;
    for (const name of ["ConnectionConfig", "SourceContract", "FetchContract", "UpdateContract", "FieldRule", "Pagination"]) {
      expect(schemas, name).toHaveProperty(name);
    }
    expect(doc.paths["/api/connections"].post.requestBody.content["application/json"].schema.$ref).toBe("#/components/schemas/CreateConnectionRequest");
    expect(schemas.CreateConnectionRequest.properties.config.$ref).toBe("#/components/schemas/ConnectionConfig");
    const perSerial = schemas.FetchContract.oneOf.find((v: Json) => v.properties.mode.enum?.[0] === "per_serial");
    expect(perSerial.required).toEqual(expect.arrayContaining(["url_template", "serial_path"]));
    expect(schemas.CreateCredentialRequest.oneOf.some((v: Json) => v.properties.secret?.writeOnly === true)).toBe(true);
  });

  // Generated clients (openapi-typescript, openapi-generator, Orval…) name their methods after operationId; without one
  // they invent names from the path, which change whenever a path does.
  it("names every operation once, in camelCase, and declares every tag it uses", async () => {
    const doc = await openapi();
    const operations = Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ at: `${method.toUpperCase()} ${path}`, operation: operation as Json })),
    );
    const ids = operations.map(({ operation }) => operation.operationId as unknown);
    for (const [i, id] of ids.entries()) expect(id, operations[i]!.at).toMatch(/^[a-z][A-Za-z]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths["/api/runs"].get.operationId).toBe("listRuns");
    expect(doc.paths["/api/runs/{id}/cancel"].post.operationId).toBe("cancelRun");
    const declared = new Set((doc.tags as Json[]).map((tag) => tag.name));
    for (const { at, operation } of operations) for (const tag of operation.tags ?? []) expect(declared.has(tag), `${at}: ${tag}`).toBe(true);
  });

  it("is the document the CLI's client is generated from (run `npm run openapi:client` after changing a route)", async () => {
    const { servers, ...served } = await openapi();
    expect(servers).toEqual([{ url: "http://localhost" }]);
    expect(served).toEqual(JSON.parse(committedCliDocument));
  });

  it("documents the dataset upload's three formats", async () => {
    const doc = await openapi();
    expect(Object.keys(doc.paths["/api/connections/{id}/records"].post.requestBody.content)).toEqual(["application/json", "application/x-ndjson", "text/csv"]);
  });
});

describe("GET /api/docs", () => {
  it("is a self-contained HTML reference listing every operation and its role", async () => {
    const res = await call<string>("GET", "/api/docs", { as: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = res.body;
    const doc = await openapi();
    for (const path of Object.keys(doc.paths)) expect(html).toContain(path.replace(/&/g, "&amp;"));
    expect(html).toContain('class="role role-admin"');
    expect(html).toContain('id="schema-connectionconfig"');
    expect(html).not.toMatch(/<script|<link|<img|src=|@import/i);
  });
});

describe("validation errors", () => {
  it("name the field in the query, the path and the body", async () => {
    const query = await call<Json>("GET", "/api/connections?limit=0");
    expect(query.status).toBe(400);
    expect(query.body.error).toMatchObject({ code: "validation_failed", details: [{ path: "limit", in: "query" }] });

    const body = await call<Json>("POST", "/api/connections", { body: { credential_id: 5, name: "x", config: { source: { kind: "ftp" } } } });
    expect(body.status).toBe(400);
    const paths = body.body.error.details.map((d: Json) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["credential_id", "config.source.kind", "config.fetch", "config.update", "config.mapping"]));
    expect(body.body.error.message).toMatch(/^Invalid request body: /);
  });

  it("answer malformed JSON with 400 and a missing content type with 415", async () => {
    const malformed = await call<Json>("POST", "/api/credentials", { raw: '{"name": ', headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBeTypeOf("string");
    const untyped = await call<Json>("POST", "/api/credentials", { raw: "name=x", headers: { "content-type": "text/plain" } });
    expect(untyped.status).toBe(415);
  });
});
