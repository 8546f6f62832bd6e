import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UpdateContractSchema } from "../../../worker/engine/contracts";
import { createAdaptiveConcurrency } from "../../../worker/engine/adaptive-concurrency";
import type { RequestAttempt } from "../../../worker/engine/http-client";
import { createDestinationLookup, type PerSerialFetchContract } from "../../../worker/engine/lookup";
import { compileUpdateContract } from "../../../worker/engine/payload";
import { executeSlice, type RecordOutcome } from "../../../worker/runs/slice-executor";
import type { WriteIntent } from "../../../worker/runs/write-intent";
import { makeClient, makeMapping } from "../../engine/factories";
import { startLoopbackServer, type LoopbackServer } from "../../engine/support/loopback-server";

// A real destination on loopback that counts the requests it is answering at once (counted down before it
// answers, so a request the client sends after an answer never overlaps it) and can refuse, with a 429, every
// request beyond a number in flight.

let server: LoopbackServer;
let inFlight = 0;
// Per request as it arrived: method, and how many the destination was then answering, this one included.
let arrivals: Array<{ method: string; inFlight: number }> = [];
let refuseAbove: number | null = null;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  server = await startLoopbackServer(async ({ method, url }) => {
    inFlight += 1;
    arrivals.push({ method, inFlight });
    const refused = refuseAbove !== null && inFlight > refuseAbove;
    await sleep(refused ? 0 : 3);
    inFlight -= 1;
    if (refused) return { status: 429, headers: { "retry-after": "0" }, body: { error: "too many requests at once" } };
    const serial = url.pathname.split("/").pop()!;
    return method === "GET" ? { body: { device: { serial, name: "Old" } } } : { body: { ok: true } };
  });
});
afterAll(() => server.close());
beforeEach(() => {
  arrivals = [];
  refuseAbove = null;
});

const serials = (n: number) => Array.from({ length: n }, (_, i) => `SN-${String(i).padStart(4, "0")}`);

function slice(options: { records: number; concurrency: number; journal?: (intents: WriteIntent[]) => void | Promise<void>; adaptive?: boolean }) {
  const fetch: PerSerialFetchContract = {
    mode: "per_serial",
    url_template: `${server.url}/devices/{serial}`,
    format: "json",
    record_path: "device",
    serial_path: "serial",
    headers: {},
  };
  const sent: RequestAttempt[] = [];
  const adaptive = options.adaptive === true ? createAdaptiveConcurrency({ max: options.concurrency, now: Date.now() }) : undefined;
  const { client, events } = makeClient({
    limits: { concurrency: options.concurrency, retry_attempts: 20 },
    ...(adaptive === undefined ? {} : { adaptive }),
    onEvent: (event) => {
      events.push(event);
      if (event.type === "request") sent.push(event.entry);
    },
  });
  const outcomes: RecordOutcome[] = [];
  const done = executeSlice({
    records: serials(options.records).map((serial, ord) => ({ ord, serial, source: { serial, name: "New" }, intent: null })),
    mode: "live",
    mapping: makeMapping([{ source: "name", destination: "name" }]),
    update: compileUpdateContract(UpdateContractSchema.parse({ method: "PUT", url_template: `${server.url}/devices/{serial}`, formatter: "json" })),
    lookup: createDestinationLookup({ client, contract: fetch }),
    client,
    concurrency: options.concurrency,
    signal: new AbortController().signal,
    shouldStop: () => false,
    onOutcome: (outcome) => outcomes.push(outcome),
    failureStreak: { current: 0, limit: 25 },
    keyScope: "job_1",
    journal: options.journal ?? (() => undefined),
    readBack: null,
    now: () => Date.now(),
  });
  return { done, outcomes, sent, events };
}

describe("a per-serial slice's lookups and writes share the connection's concurrency", () => {
  it("keeps looking records up while the first writes wait for their intents to become durable, and sends no write before", async () => {
    let makeDurable: () => void = () => undefined;
    const firstDurable = new Promise<void>((resolve) => (makeDurable = resolve));
    const { done, outcomes } = slice({
      records: 12,
      concurrency: 2,
      journal: () => firstDurable,
    });
    // The first intents stay pending until lookups beyond the concurrency have reached the destination.
    while (arrivals.filter((a) => a.method === "GET").length < 4) await sleep(1);
    const durableAt = arrivals.length;
    makeDurable();
    expect(await done).toMatchObject({ kind: "continue" });

    expect(arrivals.slice(0, durableAt).every((a) => a.method === "GET")).toBe(true);
    expect(outcomes.map((o) => o.action)).toEqual(Array(12).fill("updated"));
    expect(arrivals.filter((a) => a.method === "PUT")).toHaveLength(12);
    expect(Math.max(...arrivals.map((a) => a.inFlight))).toBeLessThanOrEqual(2);
  });
});

describe("the adaptive concurrency of a slice", () => {
  it("lowers the requests in flight when the destination answers 429 above 2 at once, and raises them again once it stops", { timeout: 30_000 }, async () => {
    refuseAbove = 2;
    const { done, outcomes, sent, events } = slice({ records: 300, concurrency: 6, adaptive: true });
    // The destination stops refusing once the limit has come down to what it takes.
    while (sent.length === 0 || sent.at(-1)!.concurrency! > 2) await sleep(1);
    const throttledFrom = arrivals.length;
    while (sent.filter((s) => s.concurrency! <= 2).length < 40) await sleep(1);
    const throttledUntil = arrivals.length;
    refuseAbove = null;
    expect(await done).toMatchObject({ kind: "continue" });

    // Every record written, 429s retried; a handful of them, not one per request.
    expect(outcomes.filter((o) => o.action === "updated")).toHaveLength(300);
    const refused = sent.filter((s) => s.status === 429).length;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(20);
    // The log of requests shows the limit each was sent under: 6, down to 2 or less, back up to 6.
    const limits = sent.map((s) => s.concurrency);
    expect(limits[0]).toBe(6);
    expect(Math.min(...limits.map(Number))).toBeLessThanOrEqual(2);
    expect(limits.at(-1)).toBe(6);
    // The destination saw at most 2 at once while the limit was down (after the requests sent under 6 ended) …
    expect(Math.max(...arrivals.slice(throttledFrom + 6, throttledUntil).map((a) => a.inFlight))).toBeLessThanOrEqual(2);
    // … never more than the connection allows, and the job log was told.
    expect(Math.max(...arrivals.map((a) => a.inFlight))).toBeLessThanOrEqual(6);
    const notes = events.flatMap((e) => (e.type === "concurrency" ? [e.note] : []));
    expect(notes[0]).toMatchObject({ level: "WARN", from: 6, pushback: "rate_limited" });
  });
});
