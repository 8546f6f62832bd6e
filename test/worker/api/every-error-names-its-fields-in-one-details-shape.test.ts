import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../../worker/env";
import { call, createConnection, createCredential, errorOf, makeConfig, type CallOptions } from "./config-api";

interface ErrorCase {
  name: string;
  status: number;
  code: string;
  request: () => Promise<[method: string, path: string, options?: CallOptions]>;
  // Fields the details must name, and the machine-readable facts kept beside them.
  paths: string[];
  // Absent: the error carries no meta.
  meta?: Record<string, unknown>;
  hint?: RegExp;
  message?: RegExp;
}

const big = "x".repeat(1024 * 1024 + 10);

const CASES: ErrorCase[] = [
  {
    name: "a connection with two problems in one field",
    status: 400,
    code: "validation_failed",
    request: async () => {
      const credential = await createCredential();
      const config = makeConfig({
        fetch: { mode: "per_serial", url_template: "http://{id}.localhost:8787/sandbox/api/devices", serial_path: "serial" },
      });
      return ["POST", "/api/connections", { body: { credential_id: credential.id, name: "Two problems", config } }];
    },
    paths: ["config.fetch.url_template", "config.fetch.url_template", "config.fetch.url_template"],
  },
  { name: "no token", status: 401, code: "unauthorized", request: async () => ["GET", "/api/connections", { as: null }], paths: [] },
  {
    name: "a viewer creating a credential",
    status: 403,
    code: "forbidden",
    request: async () => ["POST", "/api/credentials", { as: "viewer", body: { name: "x", scheme: "none" } }],
    paths: [],
    meta: { required_role: "admin", role: "viewer" },
  },
  {
    name: "a live socket from another site",
    status: 403,
    code: "cross_site_request",
    request: async () => ["GET", "/api/live", { headers: { Origin: "https://evil.example", Upgrade: "websocket" } }],
    paths: ["Origin"],
    meta: { origin: "https://evil.example", sec_fetch_site: null },
  },
  {
    name: "an unknown connection",
    status: 404,
    code: "not_found",
    request: async () => ["GET", "/api/connections/conn_nope"],
    paths: ["id"],
  },
  { name: "an unknown route", status: 404, code: "not_found", request: async () => ["GET", "/api/nowhere"], paths: [] },
  {
    name: "a stale If-Match",
    status: 409,
    code: "version_conflict",
    request: async () => {
      const connection = await createConnection((await createCredential()).id);
      return ["PATCH", `/api/connections/${connection.id}`, { headers: { "If-Match": '"7"' }, body: { name: "Renamed" } }];
    },
    paths: [],
    meta: { current_version: 1, expected_version: 7 },
  },
  {
    name: "a credential name taken",
    status: 409,
    code: "name_taken",
    request: async () => {
      const credential = await createCredential();
      return ["POST", "/api/credentials", { body: { name: credential.name, scheme: "none" } }];
    },
    paths: ["name"],
  },
  {
    name: "a body over a megabyte",
    status: 413,
    code: "payload_too_large",
    request: async () => ["POST", "/api/credentials", { body: { name: big, scheme: "none" } }],
    paths: [],
    meta: { max_bytes: 1024 * 1024 },
  },
  {
    name: "an upload in XML",
    status: 415,
    code: "unsupported_media_type",
    request: async () => {
      const connection = await createConnection((await createCredential()).id);
      return ["POST", `/api/connections/${connection.id}/records`, { raw: "<devices/>", headers: { "content-type": "application/xml" } }];
    },
    paths: ["Content-Type"],
    meta: { accepted: expect.arrayContaining(["application/json", "application/x-ndjson", "text/csv"]) },
  },
  {
    name: "a JSON route sent text/plain",
    status: 415,
    code: "unsupported_media_type",
    request: async () => {
      const credential = await createCredential();
      const body = JSON.stringify({ credential_id: credential.id, type: "full", mode: "dry" });
      return ["POST", "/api/runs", { raw: body, headers: { "content-type": "text/plain;charset=UTF-8" } }];
    },
    paths: ["Content-Type"],
    meta: { accepted: ["application/json"] },
    message: /^Send the request body as JSON with Content-Type: application\/json, not text\/plain\.$/,
  },
  {
    name: "a path that exists, asked with a method it does not take",
    status: 405,
    code: "method_not_allowed",
    request: async () => ["DELETE", "/api/runs"],
    paths: [],
    meta: { allowed: ["GET", "POST", "HEAD"] },
    message: /^DELETE is not allowed on \/api\/runs; it takes GET, POST, HEAD\.$/,
  },
  {
    name: "a live request that is not an upgrade",
    status: 426,
    code: "upgrade_required",
    request: async () => ["GET", "/api/live"],
    paths: [],
  },
  {
    name: "a secret with no SECRETS_KEY",
    status: 503,
    code: "secrets_key_missing",
    request: async () => [
      "POST",
      "/api/credentials",
      { body: { name: "No key", scheme: "bearer", secret: "s3cret-value" }, env: { ...env, SECRETS_KEY: undefined } as Env },
    ],
    paths: [],
    hint: /wrangler secret put SECRETS_KEY/,
  },
];

describe("every API error", () => {
  it.each(CASES)("$status $code ($name): details is a list of {path, message}", async (errorCase) => {
    const [method, path, options] = await errorCase.request();
    const res = await call<{ error: Record<string, unknown> }>(method, path, options);

    expect(res.status).toBe(errorCase.status);
    const error = res.body.error;
    expect(
      Object.keys(error).every((key) => ["code", "message", "details", "hint", "meta"].includes(key)),
      JSON.stringify(error),
    ).toBe(true);
    expect(error.code).toBe(errorCase.code);
    expect(error.message).toEqual(expect.any(String));
    const details = error.details as Array<Record<string, unknown>>;
    expect(Array.isArray(details), JSON.stringify(error)).toBe(true);
    for (const detail of details) expect(detail).toMatchObject({ path: expect.any(String), message: expect.any(String) });
    expect(details.map((d) => d.path)).toEqual(errorCase.paths);
    // A field is named once in the path, never again at the start of its message ("since: since: …").
    for (const detail of details) expect(String(detail.message).startsWith(`${String(detail.path)}:`)).toBe(false);
    expect(error.meta).toEqual(errorCase.meta);
    if (errorCase.hint) expect(error.hint).toMatch(errorCase.hint);
    if (errorCase.message) expect(error.message).toMatch(errorCase.message);
  });

  it("says in Allow which methods a path takes, and keeps 404 for a path no route has", async () => {
    const cancel = await call("GET", "/api/runs/run_01jd7v0q2k8x3c5n4m6p7r8s9t/cancel", { as: "viewer" });
    expect([cancel.status, cancel.headers.get("allow")]).toEqual([405, "POST"]);
    const connection = await call("PUT", "/api/connections/conn_x", { as: "viewer" });
    expect([connection.status, connection.headers.get("allow")]).toEqual([405, "GET, PATCH, DELETE, HEAD"]);
    const nowhere = await call("GET", "/api/nowhere", { as: "viewer" });
    expect([nowhere.status, nowhere.headers.get("allow"), errorOf(nowhere).code]).toEqual([404, null, "not_found"]);
    // Who may not call the API at all hears that first, whatever the method.
    expect((await call("DELETE", "/api/runs", { as: null })).status).toBe(401);
  });

  it.each([
    { path: "/api/runs?since=yesterday", field: "since" },
    { path: "/api/stats?until=soon", field: "until" },
  ])("names a bad time once: $path", async ({ path, field }) => {
    const res = await call<{ error: { message: string; details: Array<{ path: string; message: string }> } }>("GET", path, { as: "viewer" });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: field, message: expect.stringMatching(/^"\w+" is not an ISO 8601 time/) })]);
    expect(res.body.error.message).not.toContain(`${field}: ${field}:`);
  });

  it("the OpenAPI document gives Error one shape: details a list of ValidationDetail", async () => {
    const res = await call<{ components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> } }>(
      "GET",
      "/api/openapi.json",
    );
    const error = res.body.components.schemas.Error!.properties.error as { properties: Record<string, unknown>; required: string[] };
    expect(error.required).toEqual(expect.arrayContaining(["code", "message", "details"]));
    expect(error.properties.details).toMatchObject({ type: "array", items: { $ref: "#/components/schemas/ValidationDetail" } });
    expect(Object.keys(error.properties).sort()).toEqual(["code", "details", "hint", "message", "meta"]);
  });
});
