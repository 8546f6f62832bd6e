import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UpdateContractSchema, type UpdateContract } from "../../../worker/engine/contracts";
import { createHttpClient, type HttpClient, type HttpRequest } from "../../../worker/engine/http-client";
import { createDestinationLookup, type PerSerialFetchContract } from "../../../worker/engine/lookup";
import { compileUpdateContract } from "../../../worker/engine/payload";
import { compileMapping } from "../../../worker/engine/reconcile";
import { createSystemRuntime } from "../../../worker/engine/runtime";
import { parseXml } from "../../../worker/engine/xml";
import type { WriteIntent } from "../../../worker/runs/write-intent";
import { executeSlice, type RecordOutcome, type SliceReadBack } from "../../../worker/runs/slice-executor";
import { startLoopbackServer, type LoopbackServer } from "../../engine/support/loopback-server";
import { makeRule } from "../../engine/factories";

// Destinations that accept every write and keep something else: a JSON API that silently drops contact_email,
// an XML API that lowercases site_code and rewrites last_seen with an offset, and a bulk API that loses one
// record. Each is a real HTTP server on loopback; the slice reads back what it wrote and compares.

type Device = Record<string, unknown>;
const devices = new Map<string, Device>();
let server: LoopbackServer;
// Serials whose read-back answers 500 (the write itself is fine).
const failingReads = new Set<string>();

const xmlOf = (device: Device) =>
  `<device>${Object.entries(device)
    .map(([k, v]) => `<${k}>${v ?? ""}</${k}>`)
    .join("")}</device>`;

beforeAll(async () => {
  server = await startLoopbackServer(({ method, url, body }) => {
    const [, kind, , serial] = url.pathname.split("/");
    const device = serial === undefined ? undefined : devices.get(serial);
    if (method === "GET") {
      if (failingReads.has(serial!) && server.requests.some((r) => r.method !== "GET" && r.url.pathname.endsWith(serial!)))
        return { status: 500, body: "down" };
      if (device === undefined) return { status: 404, body: { error: "not found" } };
      return kind === "xml" ? { headers: { "content-type": "application/xml" }, body: xmlOf(device) } : { body: { device } };
    }
    if (kind === "json") {
      const { contact_email: _ignored, ...kept } = JSON.parse(body) as Device;
      devices.set(serial!, { ...device, ...kept });
      return { body: { ok: true } };
    }
    if (kind === "xml") {
      const sent = parseXml(body).device as Device;
      const stored = { ...sent, site_code: String(sent.site_code).toLowerCase(), last_seen: String(sent.last_seen).replace(".000Z", "+00:00") };
      devices.set(serial!, { ...device, ...stored });
      return { headers: { "content-type": "application/xml" }, body: xmlOf(devices.get(serial!)!) };
    }
    for (const item of (JSON.parse(body) as { devices: Device[] }).devices) {
      const serial = String(item.serial);
      if (serial === "DEV-GONE") devices.delete(serial);
      else devices.set(serial, { ...devices.get(serial), ...item });
    }
    return { body: { ok: true } };
  });
});

afterAll(() => server.close());

beforeEach(() => {
  devices.clear();
  failingReads.clear();
  server.requests.length = 0;
});

const mapping = (xml = false) =>
  compileMapping(
    [
      makeRule({ source: "name", destination: "display_name" }),
      makeRule({ source: "site", destination: "site_code", formatter: "uppercase" }),
      makeRule({ source: "seen", destination: "last_seen", formatter: "iso_date" }),
      makeRule({ source: "email", destination: "contact_email", formatter: "lowercase" }),
    ],
    xml ? { payloadFormat: "xml", destinationFormat: "xml" } : {},
  );

const source = (serial: string, overrides: Device = {}) => ({
  serial,
  name: "Pump",
  site: "ams",
  seen: "2026-11-01T08:00:00Z",
  email: "ops@example.com",
  ...overrides,
});
const stored = (serial: string, overrides: Device = {}) => ({
  serial,
  display_name: "Pump",
  site_code: "AMS",
  last_seen: "2026-11-01T08:00:00.000Z",
  contact_email: "ops@example.com",
  ...overrides,
});

interface Run {
  kind: "json" | "xml" | "bulk";
  serials: string[];
  sources: Record<string, Device>;
  sampled?: (serial: string) => boolean;
  intents?: Record<string, WriteIntent>;
}

async function runSlice({ kind, serials, sources, sampled = () => true, intents = {} }: Run) {
  const base = `${server.url}/${kind === "bulk" ? "json" : kind}/devices`;
  const fetchContract: PerSerialFetchContract = {
    mode: "per_serial",
    url_template: `${base}/{serial}`,
    format: kind === "xml" ? "xml" : "json",
    record_path: "device",
    serial_path: "serial",
    headers: {},
  };
  const contracts: Record<Run["kind"], Partial<UpdateContract>> = {
    json: { method: "PATCH", url_template: `${base}/{serial}`, formatter: "json" },
    xml: { method: "PUT", url_template: `${base}/{serial}`, formatter: "xml", xml_root: "device" },
    bulk: { method: "POST", url_template: `${server.url}/bulk`, formatter: "json", bulk: { max_records: 10, records_key: "devices", serial_field: "serial" } },
  };
  const sent: HttpRequest[] = [];
  const inner = createHttpClient({
    runtime: createSystemRuntime(),
    limits: { requests_per_second: 1000, concurrency: 2, timeout_ms: 2000, retry_attempts: 0 },
  });
  const client: HttpClient = { ...inner, request: (request) => (sent.push(request), inner.request(request)) };
  const readBack: SliceReadBack = { sampled, fetch: fetchContract };
  const outcomes: RecordOutcome[] = [];
  await executeSlice({
    records: serials.map((serial, ord) => ({ ord, serial, source: sources[serial] ?? null, intent: intents[serial] ?? null })),
    mode: "live",
    mapping: mapping(kind === "xml"),
    update: compileUpdateContract(UpdateContractSchema.parse(contracts[kind])),
    lookup: createDestinationLookup({ client, contract: fetchContract }),
    client,
    concurrency: 2,
    signal: new AbortController().signal,
    shouldStop: () => false,
    onOutcome: (outcome) => outcomes.push(outcome),
    failureStreak: { current: 0, limit: 25 },
    keyScope: "job_1",
    journal: () => undefined,
    readBack,
    now: () => Date.now(),
  });
  const bySerial = new Map(outcomes.map((o) => [o.serial, o]));
  return { outcomes: bySerial, sent };
}

describe("a write read back through the per-serial fetch contract", () => {
  it("is Verify Mismatch when a JSON destination silently ignores a field, Verified when it kept everything", async () => {
    devices.set("DEV-1", stored("DEV-1", { contact_email: "old@example.com" }));
    devices.set("DEV-2", stored("DEV-2", { display_name: "Old name" }));
    const { outcomes, sent } = await runSlice({ kind: "json", serials: ["DEV-1", "DEV-2"], sources: { "DEV-1": source("DEV-1"), "DEV-2": source("DEV-2") } });

    expect(outcomes.get("DEV-1")).toMatchObject({
      action: "verify_mismatch",
      http_status: 200,
      differences: [{ field: "contact_email", expected: "ops@example.com", found: "old@example.com", side: "stored" }],
      reason: "the destination accepted the write but stored a different value for contact_email",
    });
    expect(outcomes.get("DEV-2")).toMatchObject({ action: "verified", differences: null, reason: null });
    // Each read-back is its own GET after the write, in phase "readback", tagged with its serial.
    for (const serial of ["DEV-1", "DEV-2"]) {
      const phases = sent.filter((r) => r.url.endsWith(`/${serial}`)).map((r) => `${r.method} ${r.phase ?? ""}`);
      expect(phases).toEqual(["GET lookup", "PATCH update", "GET readback"]);
      expect(sent.find((r) => r.phase === "readback" && r.url.endsWith(`/${serial}`))?.serials).toEqual([serial]);
    }
  });

  it("compares an XML destination's stored values as reconcile would: a reformatted instant holds, a lowercased code does not", async () => {
    devices.set("DEV-3", stored("DEV-3", { site_code: "RTM", last_seen: "2026-10-01T00:00:00.000Z" }));
    const { outcomes } = await runSlice({ kind: "xml", serials: ["DEV-3"], sources: { "DEV-3": source("DEV-3") } });
    expect(outcomes.get("DEV-3")).toMatchObject({
      action: "verify_mismatch",
      differences: [{ field: "site_code", expected: "AMS", found: "ams", side: "stored" }],
    });
  });

  it("reads back each record of a bulk write: Verified when kept, Verify Mismatch with every field found null when gone", async () => {
    for (const serial of ["DEV-4", "DEV-GONE"]) devices.set(serial, stored(serial, { display_name: "Old" }));
    const { outcomes, sent } = await runSlice({
      kind: "bulk",
      serials: ["DEV-4", "DEV-GONE"],
      sources: { "DEV-4": source("DEV-4"), "DEV-GONE": source("DEV-GONE") },
    });
    expect(outcomes.get("DEV-4")).toMatchObject({ action: "verified" });
    expect(outcomes.get("DEV-GONE")).toMatchObject({
      action: "verify_mismatch",
      differences: [{ field: "display_name", expected: "Pump", found: null, side: "stored" }],
      reason: expect.stringMatching(/^the destination accepted the write but the record was not found when read back \(not_found/),
    });
    // One bulk write, then a read-back per record in it.
    expect(sent.filter((r) => r.phase === "update")).toHaveLength(1);
    expect(
      sent
        .filter((r) => r.phase === "readback")
        .flatMap((r) => r.serials ?? [])
        .sort(),
    ).toEqual(["DEV-4", "DEV-GONE"]);
  });

  it("reads back only the sampled serials and counts the rest Updated, and a read-back that fails leaves the write Updated", async () => {
    for (const serial of ["DEV-5", "DEV-6", "DEV-7"]) devices.set(serial, stored(serial, { display_name: "Old" }));
    failingReads.add("DEV-7");
    const sources = Object.fromEntries(["DEV-5", "DEV-6", "DEV-7"].map((s) => [s, source(s)]));
    const { outcomes, sent } = await runSlice({ kind: "json", serials: ["DEV-5", "DEV-6", "DEV-7"], sources, sampled: (serial) => serial !== "DEV-6" });
    expect(outcomes.get("DEV-5")?.action).toBe("verified");
    expect(outcomes.get("DEV-6")).toMatchObject({ action: "updated", reason: null });
    expect(outcomes.get("DEV-7")).toMatchObject({ action: "updated", reason: expect.stringMatching(/^written, not verified: reading it back failed/) });
    expect(sent.some((r) => r.phase === "readback" && r.serials?.includes("DEV-6"))).toBe(false);
  });

  it("counts a write confirmed after a restart Verified when its serial is sampled: the lookup after the restart read it back", async () => {
    for (const serial of ["DEV-8", "DEV-9"]) devices.set(serial, stored(serial));
    const intent = (serial: string): WriteIntent => ({
      ord: 0,
      serial,
      idempotency_key: `job_1:${serial}`,
      payload_hash: "x",
      changes: [{ field: "display_name", before: "Old", after: "Pump", written: true }],
      attempted_at: 1,
    });
    const { outcomes, sent } = await runSlice({
      kind: "json",
      serials: ["DEV-8", "DEV-9"],
      sources: { "DEV-8": source("DEV-8"), "DEV-9": source("DEV-9") },
      sampled: (serial) => serial === "DEV-8",
      intents: { "DEV-8": intent("DEV-8"), "DEV-9": intent("DEV-9") },
    });
    expect(outcomes.get("DEV-8")).toMatchObject({ action: "verified", confirmed: true });
    expect(outcomes.get("DEV-9")).toMatchObject({ action: "updated", confirmed: true });
    expect(sent.filter((r) => r.phase !== "lookup")).toEqual([]);
  });
});
