import { afterEach, describe, expect, it } from "vitest";
import type { Connection, TestLookupResult } from "../../../worker/schemas/types";
import { demoExampleSerials, demoFleetDevices, demoSourceDevices } from "../../../worker/sandbox/demo-data";
import { changeConnection } from "../factories";
import { SANDBOX, call, createConnection, createCredential, makeConfig } from "./config-api";

const FOUND = demoExampleSerials().would_update;
const MISSING = demoExampleSerials().missing_destination;

async function sandboxConfig(patch: Record<string, unknown>): Promise<void> {
  const res = await call("PUT", "/sandbox/_config", { as: null, body: patch });
  expect(res.status).toBe(200);
}

afterEach(async () => {
  await sandboxConfig({ auth_token: null });
});

async function lookup(connection: Connection, serial: string, as: "operator" | "viewer" = "operator") {
  return call<TestLookupResult>("POST", `/api/connections/${connection.id}/test-lookup`, { as, body: { serial } });
}

describe("POST /api/connections/{id}/test-lookup", () => {
  it("finds a serial through a per-serial JSON contract and shows the request and raw response", async () => {
    const connection = await createConnection((await createCredential()).id);
    const res = await lookup(connection, FOUND);

    expect(res.status).toBe(200);
    expect(res.body.outcome).toBe("found");
    expect(res.body.request).toMatchObject({ method: "GET", url: `${SANDBOX}/api/devices/${FOUND}`, status: 200 });
    expect(res.body.request!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(res.body.raw_response!)).toEqual({ device: expect.objectContaining({ serial: FOUND }) });
    expect(res.body.record).toEqual(JSON.parse(res.body.raw_response!).device);
    expect(res.body.error).toBeUndefined();
  });

  it("reports a serial the destination does not have as missing, with the 404 it got", async () => {
    const connection = await createConnection((await createCredential()).id);
    const res = await lookup(connection, MISSING);
    expect(res.body).toMatchObject({ outcome: "missing", missing_reason: "not_found", record: null, request: { status: 404 } });
    expect(res.body.raw_response).toContain("NOT_FOUND");
  });

  it("reads the record out of an XML response", async () => {
    const connection = await createConnection((await createCredential()).id, {
      config: makeConfig({
        fetch: { mode: "per_serial", url_template: `${SANDBOX}/xml/devices/{serial}`, format: "xml", record_path: "device", serial_path: "serial" },
      }),
    });
    const res = await lookup(connection, FOUND);
    expect(res.body.outcome).toBe("found");
    expect(res.body.raw_response).toMatch(/^<\?xml|<device>/);
    expect(res.body.record).toMatchObject({ serial: FOUND });
  });

  it("pages through a listing until the serial turns up", async () => {
    const last = demoFleetDevices()
      .map((d) => d.serial)
      .sort()
      .at(-1)!;
    const connection = await createConnection((await createCredential()).id, {
      config: makeConfig({
        fetch: {
          mode: "list",
          url: `${SANDBOX}/api/devices?per_page=100`,
          pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "next_cursor" },
          records_path: "devices",
          serial_path: "serial",
        },
      }),
    });
    const found = await lookup(connection, last);
    expect(found.body.outcome).toBe("found");
    expect(found.body.requests).toBeGreaterThan(1);
    expect(found.body.record).toMatchObject({ serial: last });

    const missing = await lookup(connection, MISSING);
    expect(missing.body).toMatchObject({ outcome: "missing", missing_reason: "not_in_listing" });
  });

  it("sends the credential's auth and masks its secret", async () => {
    const token = "sandbox-secret-7f3a";
    await sandboxConfig({ auth_token: token });
    const withToken = await createConnection((await createCredential({ scheme: "bearer", secret: token })).id);
    const without = await createConnection((await createCredential()).id);

    const ok = await lookup(withToken, FOUND);
    expect(ok.body.outcome).toBe("found");
    expect(JSON.stringify(ok.body)).not.toContain(token);

    const refused = await lookup(without, FOUND);
    expect(refused.body).toMatchObject({ outcome: "error", error: { code: "auth_failed", http_status: 401 }, request: { status: 401 } });
    expect(refused.body.error!.hint).toMatch(/credential/i);
  });

  it("reports a stored contract URL that policy forbids without calling it", async () => {
    const connection = await createConnection((await createCredential()).id);
    // The API refuses this URL when it is saved; the ledger stores what it is given, as an older row may hold.
    const config = structuredClone(connection.config);
    Object.assign(config.fetch, { url_template: "http://192.168.1.20/devices/{serial}" });
    await changeConnection(connection.id, { config });
    const res = await lookup(connection, FOUND);
    expect(res.body).toMatchObject({ outcome: "error", requests: 0, error: { code: "unsafe_url" } });
  });

  it("needs the operator role and a serial", async () => {
    const connection = await createConnection((await createCredential()).id);
    expect((await lookup(connection, FOUND, "viewer")).status).toBe(403);
    expect((await call("POST", `/api/connections/${connection.id}/test-lookup`, { as: "operator", body: { serial: " " } })).status).toBe(400);
    expect((await call("POST", "/api/connections/conn_nope/test-lookup", { as: "operator", body: { serial: FOUND } })).status).toBe(404);
  });
});

describe("POST /api/connections/{id}/test-lookup in the source", () => {
  const sourceLookup = (connection: Connection, serial: string) =>
    call<TestLookupResult>("POST", `/api/connections/${connection.id}/test-lookup`, { as: "operator", body: { serial, contract: "source" } });
  const csvSource = {
    kind: "http" as const,
    url: `${SANDBOX}/source/devices.csv?per_page=100`,
    format: "csv" as const,
    pagination: { style: "link" as const },
    serial_path: "serial",
  };

  it("reads a CSV source page by page until the serial turns up, showing the raw CSV and the record it parsed", async () => {
    const connection = await createConnection((await createCredential()).id, { config: makeConfig({ source: csvSource }) });
    const serial = demoSourceDevices().at(-1)!.serial;

    const res = await sourceLookup(connection, serial);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: "found", requests: 5, request: { method: "GET", status: 200 } });
    expect(res.body.request!.url).toContain("/source/devices.csv?per_page=100&page=5");
    expect(res.body.raw_response).toMatch(/^serial,name,status,/);
    expect(res.body.record).toMatchObject({ serial, status: demoSourceDevices().at(-1)!.status });
  });

  it("names a serial the HTTP source lacks Missing Source, after reading it all", async () => {
    const connection = await createConnection((await createCredential()).id, { config: makeConfig({ source: csvSource }) });
    const res = await sourceLookup(connection, "NOT-A-SERIAL");
    expect(res.body).toMatchObject({ outcome: "missing", missing_reason: "not_in_source", detail: "serial is not in the 5 pages of the source", record: null });
  });

  it("reads a dataset's stored record without a request", async () => {
    const connection = await createConnection((await createCredential()).id);
    const stored = await call("POST", `/api/connections/${connection.id}/records`, {
      raw: JSON.stringify([{ serial: "SN-1", name: "Pump" }]),
      headers: { "content-type": "application/json" },
    });
    expect(stored.status).toBe(200);

    expect((await sourceLookup(connection, "SN-1")).body).toMatchObject({
      outcome: "found",
      record: { serial: "SN-1", name: "Pump" },
      request: null,
      requests: 0,
    });
    expect((await sourceLookup(connection, "SN-2")).body).toMatchObject({ outcome: "missing", missing_reason: "not_in_source", record: null });
  });
});
