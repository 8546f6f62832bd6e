import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Connection, ConnectionVersion, Page } from "../../../worker/schemas/types";
import { call, createConnection, createCredential, errorOf } from "./config-api";

const DEFAULTS = { max_response_bytes: 10_485_760, max_pages: 100_000 };

describe("the response size and page limits of a connection", () => {
  it("read as their defaults for a connection stored before they existed, in the connection and its history", async () => {
    const connection = await createConnection((await createCredential()).id);
    const { max_response_bytes: _, max_pages: __, ...older } = connection.config.limits;
    const stored = JSON.stringify({ ...connection.config, limits: older });
    await env.LEDGER.batch([
      env.LEDGER.prepare("UPDATE connections SET config_json = ?2 WHERE id = ?1").bind(connection.id, stored),
      env.LEDGER.prepare("UPDATE connection_versions SET snapshot_json = json_set(snapshot_json, '$.config', json(?2)) WHERE connection_id = ?1").bind(
        connection.id,
        stored,
      ),
    ]);

    const got = await call<Connection>("GET", `/api/connections/${connection.id}`, { as: "viewer" });
    expect(got.body.config.limits).toEqual({ ...older, ...DEFAULTS });
    const history = await call<Page<ConnectionVersion>>("GET", `/api/connections/${connection.id}/versions`, { as: "viewer" });
    expect(history.body.data[0]!.snapshot.config.limits).toEqual({ ...older, ...DEFAULTS });

    // A PATCH of one limit keeps the others and stores the complete set.
    const patched = await call<Connection>("PATCH", `/api/connections/${connection.id}`, { body: { config: { limits: { max_pages: 500 } } } });
    expect(patched.status).toBe(200);
    expect(patched.body.config.limits).toEqual({ ...older, max_response_bytes: DEFAULTS.max_response_bytes, max_pages: 500 });
    const row = await env.LEDGER.prepare("SELECT config_json FROM connections WHERE id = ?1").bind(connection.id).first<{ config_json: string }>();
    expect(JSON.parse(row!.config_json).limits).toMatchObject({ max_response_bytes: DEFAULTS.max_response_bytes, max_pages: 500 });
  });

  it.each([
    ["max_response_bytes", 512],
    ["max_response_bytes", 64 * 1024 * 1024],
    ["max_pages", 0],
    ["max_pages", 1.5],
  ])("refuse %s = %s with a 400 naming the field", async (field, value) => {
    const connection = await createConnection((await createCredential()).id);
    const res = await call("PATCH", `/api/connections/${connection.id}`, { body: { config: { limits: { [field]: value } } } });
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual([expect.objectContaining({ path: `config.limits.${field}` })]);
  });

  it("are described in the OpenAPI document, for creating and for patching", async () => {
    type Properties = Record<string, { description?: string; maximum?: number; minimum?: number }>;
    const res = await call<{ components: { schemas: Record<string, { properties: Record<string, { properties: Properties }> & Properties }> } }>(
      "GET",
      "/api/openapi.json",
      { as: null },
    );
    const { schemas } = res.body.components;
    const limits = schemas.ConnectionConfig!.properties.limits!.properties;
    expect(limits.max_response_bytes).toMatchObject({ minimum: 1024, maximum: 33_554_432, description: expect.stringContaining("decompression") });
    expect(limits.max_pages).toMatchObject({ minimum: 1, maximum: 10_000_000, description: expect.stringContaining("too_many_pages") });
    expect(schemas.LimitsPatch!.properties).toHaveProperty("max_response_bytes");
    expect(schemas.LimitsPatch!.properties).toHaveProperty("max_pages");
  });
});
