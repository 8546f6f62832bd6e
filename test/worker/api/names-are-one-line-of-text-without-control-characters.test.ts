import { describe, expect, it } from "vitest";
import { call, createConnection, createCredential, errorOf, makeConfig, rowCount, unique, type CallResult } from "./config-api";

// A name is what lists, logs, alerts and configuration documents show and key on: a NUL printed as nothing once turned a
// connection into a nameless row, and an export of it could not tell it from another. Every name refuses control characters.
const CONTROL = ["\u0000", "line\nbreak", "tab\there", "\u007f", "\u0085", "para\u2029graph"];

function expectNameRefused(result: CallResult<unknown>, path = "name"): void {
  expect(result.status, JSON.stringify(result.body)).toBe(400);
  const error = errorOf(result);
  expect(error.code).toBe("validation_failed");
  expect(error.details).toContainEqual(expect.objectContaining({ path, message: expect.stringContaining("control characters") }));
}

describe("names", () => {
  it("of credentials, connections, alert channels and API tokens refuse control characters, and nothing is written", async () => {
    const credential = await createCredential();
    const connection = await createConnection(credential.id);
    const before = await Promise.all(["credentials", "connections", "alert_channels", "api_tokens"].map((table) => rowCount(table)));

    for (const name of CONTROL) {
      expectNameRefused(await call("POST", "/api/credentials", { body: { name, scheme: "none" } }));
      expectNameRefused(await call("POST", "/api/connections", { body: { credential_id: credential.id, name, config: makeConfig() } }));
      expectNameRefused(await call("PATCH", `/api/connections/${connection.id}`, { body: { name } }));
      expectNameRefused(await call("PATCH", `/api/credentials/${credential.id}`, { body: { name } }));
      expectNameRefused(await call("POST", "/api/alerts/channels", { body: { kind: "webhook", name, url: "https://hooks.example.com/x" } }));
      expectNameRefused(await call("POST", "/api/tokens", { body: { name, role: "viewer" } }));
    }

    expect(await Promise.all(["credentials", "connections", "alert_channels", "api_tokens"].map((table) => rowCount(table)))).toEqual(before);
    const read = await call<{ name: string }>("GET", `/api/connections/${connection.id}`);
    expect(read.body.name).toBe(connection.name);
  });

  it("keep what people write: accents, symbols, emoji and inner spaces; only the ends are trimmed", async () => {
    const name = unique("Flotte Zürich — Geräte ✓ 🚚  (prod)");
    const created = await call<{ name: string }>("POST", "/api/credentials", { body: { name: `  ${name} `, scheme: "none" } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.name).toBe(name);
  });

  it("in a configuration document refuse control characters where they are keys", async () => {
    const document = { version: 1, credentials: [{ name: "Fleet\u0000", scheme: "none" }] };
    expectNameRefused(await call("POST", "/api/config/plan", { body: { document } }), "credentials[0].name");
  });
});
