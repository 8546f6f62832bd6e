import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DatasetRecord, DatasetUploadResult, Page } from "../../../worker/schemas/types";
import { SANDBOX, call, createConnection, createCredential, errorOf, makeConfig, rowCount } from "./config-api";

const JSON_TYPE = { "content-type": "application/json" };
const NDJSON_TYPE = { "content-type": "application/x-ndjson" };
const CSV_TYPE = { "content-type": "text/csv; charset=utf-8" };

async function datasetConnection() {
  return createConnection((await createCredential()).id);
}

function upload(connectionId: string, raw: BodyInit, headers: Record<string, string>, mode?: "merge" | "replace") {
  return call<DatasetUploadResult>("POST", `/api/connections/${connectionId}/records${mode ? `?mode=${mode}` : ""}`, { raw, headers });
}

async function storedRecords(connectionId: string): Promise<Record<string, unknown>> {
  const page = await call<Page<DatasetRecord>>("GET", `/api/connections/${connectionId}/records?limit=500`, { as: "viewer" });
  return Object.fromEntries(page.body.data.map((r) => [r.serial, r.record]));
}

function makeDevices(count: number, extra: Record<string, unknown> = {}) {
  return Array.from({ length: count }, (_, i) => ({ serial: `DEV-${String(i + 1).padStart(5, "0")}`, name: `Device ${i + 1}`, ...extra }));
}

describe("dataset upload formats", () => {
  it("stores a JSON array and reports what changed on a second upload", async () => {
    const connection = await datasetConnection();
    const devices = makeDevices(3);
    const first = await upload(connection.id, JSON.stringify(devices), JSON_TYPE);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ mode: "merge", received: 3, inserted: 3, updated: 0, unchanged: 0, deleted: 0, total: 3 });

    const second = await upload(connection.id, JSON.stringify([{ ...devices[0], name: "Renamed" }, devices[1], { serial: "DEV-00009" }]), JSON_TYPE);
    expect(second.body).toEqual({ mode: "merge", received: 3, inserted: 1, updated: 1, unchanged: 1, deleted: 0, total: 4 });
    expect(await storedRecords(connection.id)).toMatchObject({ "DEV-00001": { name: "Renamed" }, "DEV-00003": devices[2], "DEV-00009": {} });
  });

  it("keeps updated_at of records an upload did not change", async () => {
    const connection = await datasetConnection();
    await upload(connection.id, JSON.stringify(makeDevices(2)), JSON_TYPE);
    // Aged directly: an upload stamps the time it ran, so only this makes the first upload look old.
    await env.LEDGER.prepare("UPDATE dataset_records SET updated_at = 1 WHERE connection_id = ?1").bind(connection.id).run();
    await upload(
      connection.id,
      JSON.stringify([
        { serial: "DEV-00001", name: "Device 1" },
        { serial: "DEV-00002", name: "new" },
      ]),
      JSON_TYPE,
    );
    const { results } = await env.LEDGER.prepare("SELECT serial, updated_at FROM dataset_records WHERE connection_id = ?1 ORDER BY serial")
      .bind(connection.id)
      .all<{ serial: string; updated_at: number }>();
    expect(results[0]!.updated_at).toBe(1);
    expect(results[1]!.updated_at).toBeGreaterThan(1);
  });

  it("stores NDJSON with CRLF line ends and blank lines", async () => {
    const connection = await datasetConnection();
    const body = '{"serial":"A-1","battery":87}\r\n\r\n{"serial":"A-2","site":{"name":"Oslo"}}\r\n';
    const res = await upload(connection.id, body, NDJSON_TYPE);
    expect(res.body).toMatchObject({ received: 2, inserted: 2 });
    expect(await storedRecords(connection.id)).toEqual({ "A-1": { serial: "A-1", battery: 87 }, "A-2": { serial: "A-2", site: { name: "Oslo" } } });
  });

  it("stores CSV with quoted commas, escaped quotes, line breaks in quotes and empty cells", async () => {
    const connection = await datasetConnection();
    const body = 'serial,name,note\r\nC-1,"Pump, north","said ""hi"""\r\nC-2,Valve,"two\r\nlines"\r\nC-3,,""\r\n';
    const res = await upload(connection.id, body, CSV_TYPE);
    expect(res.status).toBe(200);
    expect(await storedRecords(connection.id)).toEqual({
      "C-1": { serial: "C-1", name: "Pump, north", note: 'said "hi"' },
      "C-2": { serial: "C-2", name: "Valve", note: "two\r\nlines" },
      "C-3": { serial: "C-3", name: null, note: "" },
    });
  });

  it("takes the serial from the field the dataset names: a CSV export's column with a space, a nested JSON field", async () => {
    const credential = await createCredential();
    const exported = await createConnection(credential.id, { config: makeConfig({ source: { kind: "dataset", serial_path: '["Serial Number"]' } }) });
    const csv = 'Serial Number,Name\r\nDEV-00001,"Pump, north"\r\nDEV-00002,Valve\r\n';
    expect((await upload(exported.id, csv, CSV_TYPE)).body).toMatchObject({ inserted: 2, total: 2 });
    expect(await storedRecords(exported.id)).toEqual({
      "DEV-00001": { "Serial Number": "DEV-00001", Name: "Pump, north" },
      "DEV-00002": { "Serial Number": "DEV-00002", Name: "Valve" },
    });
    const withoutColumn = await upload(exported.id, "serial,Name\nDEV-00003,Meter\n", CSV_TYPE);
    expect(withoutColumn.status).toBe(400);
    expect(errorOf(withoutColumn).details).toEqual([
      expect.objectContaining({ line: 1, field: "Serial Number", message: 'the header has no "Serial Number" column' }),
    ]);

    const nested = await createConnection(credential.id, { config: makeConfig({ source: { kind: "dataset", serial_path: "device.sn" } }) });
    expect((await upload(nested.id, JSON.stringify([{ device: { sn: "SN-1" }, name: "A" }]), JSON_TYPE)).body).toMatchObject({ inserted: 1 });
    expect(Object.keys(await storedRecords(nested.id))).toEqual(["SN-1"]);
    const flat = await upload(nested.id, "sn,name\nSN-2,B\n", CSV_TYPE);
    expect(flat.status).toBe(400);
    expect(errorOf(flat).message).toMatch(/"device\.sn", which is no CSV column/);
    expect(await rowCount("dataset_records", "connection_id = ?1", nested.id)).toBe(1);
  });

  it("replaces the whole dataset in replace mode", async () => {
    const connection = await datasetConnection();
    await upload(connection.id, JSON.stringify(makeDevices(4)), JSON_TYPE);
    const res = await upload(connection.id, JSON.stringify([{ serial: "DEV-00002", name: "Device 2" }, { serial: "NEW-1" }]), JSON_TYPE, "replace");
    expect(res.body).toEqual({ mode: "replace", received: 2, inserted: 1, updated: 0, unchanged: 1, deleted: 3, total: 2 });
    expect(Object.keys(await storedRecords(connection.id)).sort()).toEqual(["DEV-00002", "NEW-1"]);

    const cleared = await upload(connection.id, "[]", JSON_TYPE, "replace");
    expect(cleared.body).toMatchObject({ deleted: 2, total: 0 });
  });

  it("takes the latest outcome of each serial a replace upload leaves out, and keeps the others'", async () => {
    const connection = await datasetConnection();
    await upload(connection.id, JSON.stringify(makeDevices(3)), JSON_TYPE);
    // Outcomes as runs leave them (a run of this connection needs a destination the test does not stand up).
    await env.LEDGER.prepare(
      `INSERT INTO latest_outcomes (connection_id, serial, action, job_id, run_id, at)
       VALUES (?1, 'DEV-00001', 'failed', 'job_1', 'run_1', 1), (?1, 'DEV-00002', 'updated', 'job_1', 'run_1', 1),
              (?1, 'DEV-00003', 'failed', 'job_1', 'run_1', 1), ('conn_other', 'DEV-00003', 'failed', 'job_2', 'run_2', 1)`,
    )
      .bind(connection.id)
      .run();
    const latest = async (connectionId: string) =>
      (
        await env.LEDGER.prepare("SELECT serial FROM latest_outcomes WHERE connection_id = ?1 ORDER BY serial").bind(connectionId).all<{ serial: string }>()
      ).results.map((row) => row.serial);

    await upload(connection.id, JSON.stringify([{ serial: "DEV-00004" }]), JSON_TYPE);
    expect(await latest(connection.id)).toEqual(["DEV-00001", "DEV-00002", "DEV-00003"]);
    await upload(connection.id, JSON.stringify([{ serial: "DEV-00002" }, { serial: "DEV-00004" }]), JSON_TYPE, "replace");
    expect(await latest(connection.id)).toEqual(["DEV-00002"]);
    expect(await latest("conn_other")).toEqual(["DEV-00003"]);
  });

  it("stores a large upload across several statements in one go", async () => {
    const connection = await datasetConnection();
    const devices = makeDevices(12_000, { description: "x".repeat(120) });
    const res = await upload(connection.id, JSON.stringify(devices), JSON_TYPE);
    expect(res.body).toMatchObject({ received: 12_000, inserted: 12_000, total: 12_000 });
    expect(await rowCount("dataset_records", "connection_id = ?1", connection.id)).toBe(12_000);
  });

  it("pages through the stored records by serial", async () => {
    const connection = await datasetConnection();
    await upload(connection.id, JSON.stringify(makeDevices(5)), JSON_TYPE);
    const first = await call<Page<DatasetRecord>>("GET", `/api/connections/${connection.id}/records?limit=3`);
    const rest = await call<Page<DatasetRecord>>("GET", `/api/connections/${connection.id}/records?limit=3&cursor=${first.body.next_cursor}`);
    expect([...first.body.data, ...rest.body.data].map((r) => r.serial)).toEqual(makeDevices(5).map((d) => d.serial));
    expect(rest.body.next_cursor).toBeNull();
  });
});

describe("malformed uploads are refused whole", () => {
  it.each([
    { name: "invalid JSON", type: JSON_TYPE, body: '[{"serial":"X-1"},', path: "(body)" },
    { name: "a JSON object instead of an array", type: JSON_TYPE, body: '{"serial":"X-1"}', path: "(body)" },
    { name: "a JSON array element that is not an object", type: JSON_TYPE, body: '[{"serial":"X-1"}, 42]', path: "[1]" },
    { name: "a JSON record without a serial", type: JSON_TYPE, body: '[{"serial":"X-1"}, {"name":"no serial"}]', path: "[1].serial" },
    { name: "a duplicate serial", type: JSON_TYPE, body: '[{"serial":"X-1"}, {"serial":"X-1"}]', path: "[1].serial" },
    { name: "a broken NDJSON line", type: NDJSON_TYPE, body: '{"serial":"X-1"}\n{"serial":"X-2"}\n{"serial": X-3}\n', path: "line 3" },
    { name: "an NDJSON line that is an array", type: NDJSON_TYPE, body: '{"serial":"X-1"}\n\n[1,2]\n', path: "line 3" },
    { name: "an NDJSON record with an empty serial", type: NDJSON_TYPE, body: '{"serial":"X-1"}\n{"serial":"  "}\n', path: "line 2.serial" },
    { name: "a CSV row with too many fields", type: CSV_TYPE, body: "serial,name\nX-1,a\nX-2,b,c\n", path: "line 3" },
    { name: "a CSV row without a serial", type: CSV_TYPE, body: "serial,name\nX-1,a\n,b\n", path: "line 3.serial" },
    { name: "a CSV header without the serial column", type: CSV_TYPE, body: "id,name\n1,a\n", path: "line 1.serial" },
    { name: "a bare quote in a CSV field", type: CSV_TYPE, body: 'serial,name\nX-1,a"b\n', path: "line 2" },
    { name: "an unclosed CSV quote", type: CSV_TYPE, body: 'serial,name\nX-1,"open\nX-2,b\n', path: "line 2" },
    { name: "a duplicate CSV header", type: CSV_TYPE, body: "serial,serial\nX-1,X-1\n", path: "line 1" },
    { name: "an empty body", type: CSV_TYPE, body: "", path: "(body)" },
  ])("refuses $name with 400 naming $path, and stores nothing", async ({ type, body, path }) => {
    const connection = await datasetConnection();
    await upload(connection.id, JSON.stringify([{ serial: "KEEP-1", name: "kept" }]), JSON_TYPE);

    const res = await upload(connection.id, body, type, "replace");

    expect(res.status).toBe(400);
    const error = errorOf(res);
    expect(error.code).toBe("validation_failed");
    expect(error.message).toMatch(/^Nothing was stored|^Invalid request body/);
    expect(error.details!.map((d) => d.path)).toContain(path);
    expect(await storedRecords(connection.id)).toEqual({ "KEEP-1": { serial: "KEEP-1", name: "kept" } });
  });

  it("lists every problem of a file, with line and field", async () => {
    const connection = await datasetConnection();
    const res = await upload(connection.id, '{"name":"a"}\nnot json\n{"serial":"ok"}\n{"serial":7}\n{"serial":"ok"}\n', NDJSON_TYPE);
    expect(res.status).toBe(400);
    expect(errorOf(res).details).toEqual([
      expect.objectContaining({ path: "line 2", line: 2 }),
      expect.objectContaining({ path: "line 1.serial", line: 1, field: "serial" }),
      expect.objectContaining({ path: "line 5.serial", line: 5, field: "serial", message: expect.stringContaining("line 3") }),
    ]);
    expect(await rowCount("dataset_records", "connection_id = ?1", connection.id)).toBe(0);
  });

  it("refuses an unsupported content type with 415", async () => {
    const connection = await datasetConnection();
    const res = await upload(connection.id, "serial\nX-1\n", { "content-type": "text/plain" });
    expect(res.status).toBe(415);
  });

  it("refuses more than 50,000 records with 413", async () => {
    const connection = await datasetConnection();
    const body = Array.from({ length: 50_001 }, (_, i) => `{"serial":"S${i}"}`).join("\n");
    const res = await upload(connection.id, body, NDJSON_TYPE);
    expect(res.status).toBe(413);
    expect(errorOf(res).code).toBe("too_many_records");
    expect(await rowCount("dataset_records", "connection_id = ?1", connection.id)).toBe(0);
  });

  it("refuses a body over 20 MB with 413", async () => {
    const connection = await datasetConnection();
    const res = await upload(connection.id, `[${'"x",'.repeat(5_300_000)}"x"]`, JSON_TYPE);
    expect(res.status).toBe(413);
    expect(errorOf(res).code).toBe("payload_too_large");
  });

  it("refuses uploads to a connection whose source is HTTP", async () => {
    const credential = await createCredential();
    const http = await createConnection(credential.id, {
      config: makeConfig({ source: { kind: "http", url: `${SANDBOX}/source/devices`, serial_path: "serial", records_path: "devices" } }),
    });
    const res = await upload(http.id, "[]", JSON_TYPE);
    expect(res.status).toBe(409);
    expect(errorOf(res).code).toBe("not_a_dataset");
  });
});
