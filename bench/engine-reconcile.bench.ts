/// <reference types="node" />
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ConnectionConfigSchema, type ConnectionConfigInput } from "../worker/engine/contracts";
import { buildSingleRequest, compileUpdateContract, type CompiledUpdate } from "../worker/engine/payload";
import { compileMappingFor, reconcile, type CompiledMapping } from "../worker/engine/reconcile";

// Reconcile + payload throughput against a JSON round trip of the same records, measured in one run.
const RECORDS = 100_000;
const ROUNDS = 5;
const CHUNK = 1_000;
const SEED = 0x5eed;
const TARGETS = { json: 3, xml: 6 } as const;
const RESULTS = "bench/results/engine-reconcile.json";

interface Pair {
  serial: string;
  source: Record<string, unknown>;
  destination: Record<string, unknown>;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES = ["active", "maintenance", "retired"] as const;
const STATE_CODES: Record<string, number> = { active: 1, maintenance: 2, retired: 0 };
const SITES = ["HQ-1", "HQ-2", "Plant-7", "Depot-3", "Lab-9"];

// Yields chunks of records from a seeded generator so the whole fleet is never in memory at once.
function* fleet(count: number, seed: number): Generator<Pair[]> {
  const rand = mulberry32(seed);
  let chunk: Pair[] = [];
  for (let i = 0; i < count; i++) {
    const serial = `SN-${String(i).padStart(7, "0")}`;
    const status = STATUSES[Math.floor(rand() * 3)]!;
    const site = SITES[Math.floor(rand() * SITES.length)]!;
    const temperature = Math.round(rand() * 600) / 10;
    const seen = 1_700_000_000_000 + Math.floor(rand() * 10_000_000_000);
    const installed = 1_500_000_000_000 + Math.floor(rand() * 100_000_000) * 1000;
    const owner = rand() < 0.3 ? null : "ops";
    const source = {
      serial,
      name: `  Pump ${i} `,
      model: rand() < 0.5 ? "px-200" : "px-300",
      site: { code: site, region: "EU" },
      status,
      temperature,
      firmware: { build: String(1000 + Math.floor(rand() * 100)) },
      online: rand() < 0.8 ? "yes" : "no",
      last_seen: new Date(seen + 7_200_000).toISOString().replace("Z", "+02:00"),
      installed_at: new Date(installed).toISOString(),
      owner,
      notes: rand() < 0.1 ? "check <valve> & seal" : "",
      tags: ["pump", site],
    };
    const destination: Record<string, unknown> = {
      id: 100_000 + i,
      serial,
      name: `Pump ${i}`,
      model: source.model.toUpperCase(),
      location: { site: site.toLowerCase() },
      state: STATE_CODES[status],
      metrics: { temperature },
      firmware_build: Number(source.firmware.build),
      online: source.online === "yes",
      last_seen_at: new Date(seen).toISOString(),
      installed_ms: installed,
      owner: owner ?? "unassigned",
      label: `Pump ${i} @ ${site}`,
      notes: source.notes,
    };
    // About 40% of records carry one or two stale destination fields, so writes and skips both occur.
    const drift = rand();
    if (drift < 0.2) destination.metrics = { temperature: temperature + 1 };
    else if (drift < 0.3) destination.state = 9;
    else if (drift < 0.4) {
      destination.name = "old";
      destination.last_seen_at = "2020-01-01T00:00:00Z";
    }
    chunk.push({ serial, source, destination });
    if (chunk.length === CHUNK) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

function config(formatter: "json" | "xml"): ConnectionConfigInput {
  return {
    source: { kind: "dataset" },
    fetch: { mode: "per_serial", url_template: "https://dest.example/devices/{serial}", serial_path: "serial" },
    update: { method: "PUT", url_template: "https://dest.example/devices/{id}", formatter, xml_root: "device" },
    mapping: [
      { source: "name", destination: "name", formatter: "trim" },
      { source: "model", destination: "model", formatter: "uppercase" },
      { source: "site.code", destination: "location.site", formatter: "lowercase" },
      { source: "status", destination: "state", formatter: "map", options: { map: STATE_CODES } },
      { source: "temperature", destination: "metrics.temperature", formatter: "number" },
      { source: "firmware.build", destination: "firmware_build", formatter: "integer" },
      { source: "online", destination: "online", formatter: "boolean" },
      { source: "last_seen", destination: "last_seen_at", formatter: "iso_date" },
      { source: "installed_at", destination: "installed_ms", formatter: "epoch_ms" },
      { source: "owner", destination: "owner", formatter: "default", options: { default: "unassigned" } },
      { destination: "label", formatter: "template", options: { template: "{name} @ {site.code}" } },
      { source: "notes", destination: "notes", formatter: "string", action: "never" },
    ],
  };
}

interface Subject {
  mapping: CompiledMapping;
  update: CompiledUpdate;
}

function subject(formatter: "json" | "xml"): Subject {
  const parsed = ConnectionConfigSchema.parse(config(formatter));
  return { mapping: compileMappingFor(parsed), update: compileUpdateContract(parsed.update) };
}

type Work = (chunk: Pair[]) => number;

function reconcileWork({ mapping, update }: Subject): Work {
  return (chunk) => {
    let sink = 0;
    for (let i = 0; i < chunk.length; i++) {
      const pair = chunk[i]!;
      const decision = reconcile({ serial: pair.serial, source: pair.source, destination: pair.destination, rules: mapping });
      if (decision.kind === "write") {
        const request = buildSingleRequest(update, pair.serial, decision.payload!, pair.destination);
        sink += "bytes" in request ? request.bytes : 1;
      } else {
        sink += decision.changes.length;
      }
    }
    return sink;
  };
}

const baselineWork: Work = (chunk) => {
  let sink = 0;
  for (let i = 0; i < chunk.length; i++) {
    const copy = JSON.parse(JSON.stringify(chunk[i]!)) as Pair;
    sink += copy.serial.length;
  }
  return sink;
};

// Only the work on each chunk is timed; generating the records is not.
function timeRun(work: Work, count: number): number {
  let elapsed = 0;
  let sink = 0;
  for (const chunk of fleet(count, SEED)) {
    const start = performance.now();
    sink += work(chunk);
    elapsed += performance.now() - start;
  }
  if (sink < 0) console.log(sink);
  return elapsed;
}

const gc = (globalThis as { gc?: () => void }).gc;

// Live heap is sampled after a forced GC every few chunks: garbage awaiting collection says nothing about
// what streaming retains, and GC timing would make the raw figure noise.
function peakLiveHeapMb(work: Work, count: number): number {
  gc?.();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  let chunks = 0;
  for (const chunk of fleet(count, SEED)) {
    work(chunk);
    if (++chunks % 5 === 0) {
      gc?.();
      peak = Math.max(peak, process.memoryUsage().heapUsed - base);
    }
  }
  return Math.max(peak, 0) / 1_048_576;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function main(): void {
  if (gc === undefined) console.warn("run with --expose-gc for the heap figures");
  const variants = {
    baseline: baselineWork,
    json: reconcileWork(subject("json")),
    xml: reconcileWork(subject("xml")),
  };
  const times: Record<keyof typeof variants, number[]> = { baseline: [], json: [], xml: [] };
  for (const work of Object.values(variants)) timeRun(work, 20_000);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(variants) as (keyof typeof variants)[]) {
      gc?.();
      times[name].push(timeRun(variants[name], RECORDS));
    }
  }
  const ms = { baseline: median(times.baseline), json: median(times.json), xml: median(times.xml) };
  const rate = (t: number) => Math.round((RECORDS / t) * 1000);
  const ratio = { json: ms.json / ms.baseline, xml: ms.xml / ms.baseline };
  const heap = {
    records_10k_mb: peakLiveHeapMb(variants.json, 10_000),
    records_100k_mb: peakLiveHeapMb(variants.json, 100_000),
  };

  const rows = [
    ["baseline: JSON.parse(JSON.stringify(record))", rate(ms.baseline), ms.baseline, 1, "", ""],
    ["reconcile + JSON payload", rate(ms.json), ms.json, ratio.json, `≤ ${TARGETS.json}×`, ratio.json <= TARGETS.json ? "met" : "MISSED"],
    ["reconcile + XML payload", rate(ms.xml), ms.xml, ratio.xml, `≤ ${TARGETS.xml}×`, ratio.xml <= TARGETS.xml ? "met" : "MISSED"],
  ] as const;
  console.log(`\nengine reconcile: ${RECORDS.toLocaleString("en")} records, median of ${ROUNDS} rounds, Node ${process.version}\n`);
  console.log(`${"variant".padEnd(46)}${"records/s".padStart(12)}${"ms".padStart(10)}${"time ratio".padStart(12)}${"target".padStart(9)}  `);
  for (const [name, perSecond, time, r, target, verdict] of rows) {
    console.log(
      `${name.padEnd(46)}${perSecond.toLocaleString("en").padStart(12)}${time.toFixed(1).padStart(10)}` +
        `${`${r.toFixed(2)}×`.padStart(12)}${target.padStart(9)}  ${verdict}`,
    );
  }
  console.log(
    `\npeak live heap while streaming (after GC): 10k records ${heap.records_10k_mb.toFixed(2)} MB, ` +
      `100k records ${heap.records_100k_mb.toFixed(2)} MB (should be about the same)\n`,
  );

  const results = {
    bench: "engine-reconcile",
    node: process.version,
    records: RECORDS,
    rounds: ROUNDS,
    seed: SEED,
    records_per_second: { baseline: rate(ms.baseline), json: rate(ms.json), xml: rate(ms.xml) },
    median_ms: { baseline: round(ms.baseline, 1), json: round(ms.json, 1), xml: round(ms.xml, 1) },
    time_ratio: { json: round(ratio.json, 3), xml: round(ratio.xml, 3) },
    targets: { json_time_ratio_max: TARGETS.json, xml_time_ratio_max: TARGETS.xml },
    met: { json: ratio.json <= TARGETS.json, xml: ratio.xml <= TARGETS.xml },
    peak_live_heap_mb: { records_10k: round(heap.records_10k_mb, 2), records_100k: round(heap.records_100k_mb, 2) },
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`figures written to ${RESULTS}`);
}

main();
