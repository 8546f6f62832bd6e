import { describe, expect, it } from "vitest";
import { UpdateContractSchema } from "../../../worker/engine/contracts";
import { createHttpClient } from "../../../worker/engine/http-client";
import { createDestinationLookup } from "../../../worker/engine/lookup";
import { compileUpdateContract } from "../../../worker/engine/payload";
import { compileMapping } from "../../../worker/engine/reconcile";
import { createSystemRuntime } from "../../../worker/engine/runtime";
import type { WriteIntent } from "../../../worker/runs/coordinator-store";
import { executeSlice, type RecordOutcome } from "../../../worker/runs/slice-executor";

const BASE = "https://dest.example/devices";
const SERIALS = ["SN-1", "SN-2", "SN-3"];

interface Applied {
  method: string;
  key: string | null;
  serials: string[];
}

// An in-process destination that applies every write it receives, then answers the first write with a 503 or
// never answers it (the client's timeout ends it). It checks that each write's intent was journaled first.
function makeDestination(failFirstWrite: "503" | "timeout", journaled: () => Set<string>) {
  const status = new Map(SERIALS.map((serial) => [serial, "old"]));
  const applied: Applied[] = [];
  const unjournaled: string[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname.replace("/devices/", "").replace("/devices", "");
    if (request.method === "GET") return Response.json({ serial: path, status: status.get(path) });
    const body = (await request.json()) as { status?: string; devices?: Array<{ serial: string; status: string }> };
    const items = body.devices ?? [{ serial: path, status: body.status! }];
    for (const item of items) {
      status.set(item.serial, item.status);
      if (!journaled().has(item.serial)) unjournaled.push(item.serial);
    }
    applied.push({ method: request.method, key: request.headers.get("idempotency-key"), serials: items.map((i) => i.serial) });
    if (applied.length > 1) return Response.json({ ok: true });
    if (failFirstWrite === "503") return Response.json({ error: "unavailable" }, { status: 503 });
    return new Promise<Response>((_, reject) => request.signal.addEventListener("abort", () => reject(request.signal.reason)));
  };
  return { fetch, applied, unjournaled };
}

async function runSlice(update: Record<string, unknown>, failFirstWrite: "503" | "timeout") {
  const intents: WriteIntent[] = [];
  const destination = makeDestination(failFirstWrite, () => new Set(intents.map((i) => i.serial)));
  const client = createHttpClient({
    runtime: createSystemRuntime({ fetch: destination.fetch }),
    limits: { requests_per_second: 1000, concurrency: 1, timeout_ms: 100, retry_attempts: 2 },
    backoff: { base_ms: 1, max_ms: 2 },
  });
  const outcomes: RecordOutcome[] = [];
  await executeSlice({
    records: SERIALS.map((serial, ord) => ({ ord, serial, source: { status: "new" }, intent: null })),
    mode: "live",
    mapping: compileMapping([{ source: "status", destination: "status", formatter: "string", action: "update_if_changed", on_null: "skip", required: false }]),
    update: compileUpdateContract(UpdateContractSchema.parse(update)),
    lookup: createDestinationLookup({
      client,
      contract: { mode: "per_serial", url_template: `${BASE}/{serial}`, format: "json", record_path: "", serial_path: "serial", headers: {} },
    }),
    client,
    concurrency: 1,
    signal: new AbortController().signal,
    shouldStop: () => false,
    onOutcome: (outcome) => outcomes.push(outcome),
    failureStreak: { current: 0, limit: 25 },
    keyScope: "job_1",
    journal: (batch) => void intents.push(...batch),
    readBack: null,
    now: () => Date.now(),
  });
  expect(destination.unjournaled).toEqual([]);
  return { applied: destination.applied, outcomes, actions: outcomes.map((o) => o.action), intents };
}

const single = (method: string, extra: Record<string, unknown> = {}) => ({ method, url_template: `${BASE}/{serial}`, ...extra });
const bulk = (extra: Record<string, unknown> = {}) => ({
  method: "POST",
  url_template: `${BASE}/bulk`,
  bulk: { max_records: 10, records_key: "devices", serial_field: "serial" },
  ...extra,
});

describe("a POST that the destination applied and then answered with 503", () => {
  it("is retried with the same Idempotency-Key", async () => {
    const { applied, actions, intents } = await runSlice(single("POST"), "503");
    // Other records' requests may go between the two sends of SN-1.
    expect(applied.filter((a) => a.serials.includes("SN-1"))).toEqual([
      { method: "POST", key: "job_1:SN-1", serials: ["SN-1"] },
      { method: "POST", key: "job_1:SN-1", serials: ["SN-1"] },
    ]);
    expect(actions).toEqual(["updated", "updated", "updated"]);
    expect(intents.map((i) => [i.serial, i.idempotency_key])).toEqual([
      ["SN-1", "job_1:SN-1"],
      ["SN-2", "job_1:SN-2"],
      ["SN-3", "job_1:SN-3"],
    ]);
  });

  it("is not sent again when the idempotency header is turned off: the record fails as transient", async () => {
    const { applied, outcomes } = await runSlice(single("POST", { idempotency_header: null }), "503");
    expect(applied.map((a) => [a.key, a.serials])).toEqual([
      [null, ["SN-1"]],
      [null, ["SN-2"]],
      [null, ["SN-3"]],
    ]);
    expect(outcomes[0]).toMatchObject({ serial: "SN-1", action: "failed", transient: true, http_status: 503 });
    expect(outcomes[0]!.error).toMatch(/not sent again: the destination may have applied it/);
    expect(outcomes.slice(1).map((o) => o.action)).toEqual(["updated", "updated"]);
  });
});

describe("a PUT without an idempotency key", () => {
  it("is still retried: it sets values, so a second send changes nothing", async () => {
    const { applied, actions } = await runSlice(single("PUT", { idempotency_header: false }), "503");
    expect(applied.filter((a) => a.serials.includes("SN-1")).map((a) => a.serials)).toEqual([["SN-1"], ["SN-1"]]);
    expect(actions).toEqual(["updated", "updated", "updated"]);
  });
});

describe("a bulk write that timed out after the destination applied it", () => {
  it("is retried as the same batch with the same key", async () => {
    const { applied, actions } = await runSlice(bulk(), "timeout");
    expect(applied).toHaveLength(2);
    expect(applied[1]).toEqual(applied[0]);
    expect(applied[0]!.key).toMatch(/^job_1:bulk-3-[0-9a-f]{16}$/);
    expect(actions).toEqual(["updated", "updated", "updated"]);
  });

  it("is not sent again without a key: every record of the batch fails as transient", async () => {
    const { applied, outcomes } = await runSlice(bulk({ idempotency_header: null }), "timeout");
    expect(applied).toEqual([{ method: "POST", key: null, serials: SERIALS }]);
    expect(outcomes.map((o) => [o.action, o.transient])).toEqual([
      ["failed", true],
      ["failed", true],
      ["failed", true],
    ]);
    expect(outcomes[0]!.error).toMatch(/timed out after 100 ms; not sent again/);
  });
});

describe("writes prepared ahead of their requests", () => {
  it("are journaled in groups, each intent before its request, every write once", async () => {
    const serials = Array.from({ length: 60 }, (_, i) => `SN-${i}`);
    const intents: WriteIntent[] = [];
    let journalCalls = 0;
    const unjournaled: string[] = [];
    const written: string[] = [];
    const journaled = new Set<string>();
    const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const request = new Request(input, init);
      const serial = new URL(request.url).pathname.replace("/devices/", "");
      if (request.method === "GET") return Response.json({ serial, status: "old" });
      if (!journaled.has(serial)) unjournaled.push(serial);
      written.push(serial);
      return Response.json({ ok: true });
    };
    const client = createHttpClient({
      runtime: createSystemRuntime({ fetch }),
      limits: { requests_per_second: 10_000, concurrency: 2, timeout_ms: 1_000, retry_attempts: 0 },
    });
    const outcomes: RecordOutcome[] = [];
    await executeSlice({
      records: serials.map((serial, ord) => ({ ord, serial, source: { status: "new" }, intent: null })),
      mode: "live",
      mapping: compileMapping([
        { source: "status", destination: "status", formatter: "string", action: "update_if_changed", on_null: "skip", required: false },
      ]),
      update: compileUpdateContract(UpdateContractSchema.parse(single("PUT"))),
      lookup: createDestinationLookup({
        client,
        contract: { mode: "per_serial", url_template: `${BASE}/{serial}`, format: "json", record_path: "", serial_path: "serial", headers: {} },
      }),
      client,
      concurrency: 2,
      writeAhead: 16,
      signal: new AbortController().signal,
      shouldStop: () => false,
      onOutcome: (outcome) => outcomes.push(outcome),
      failureStreak: { current: 0, limit: 25 },
      keyScope: "job_1",
      journal: (batch) => {
        journalCalls += 1;
        intents.push(...batch);
        for (const intent of batch) journaled.add(intent.serial);
      },
      readBack: null,
      now: () => Date.now(),
    });
    expect(unjournaled).toEqual([]);
    expect(written.sort()).toEqual([...serials].sort());
    expect(intents.map((i) => i.serial).sort()).toEqual([...serials].sort());
    expect(outcomes.every((o) => o.action === "updated" && o.journaled)).toBe(true);
    // One storage commit per group rather than per write (groups of about writeAhead / 2).
    expect(journalCalls).toBeLessThan(serials.length / 2);
  });
});
