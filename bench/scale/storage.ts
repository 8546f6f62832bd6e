/// <reference types="node" />
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScaleFigure } from "../support/figure";
import { startLoopbackFleet, type LoopbackFleet } from "../support/loopback-fleet-thread";
import { growth, settledSnapshot, type StorageGrowth, type StorageSnapshot } from "../support/storage-meter";
import { startWranglerWorker, type WranglerWorker } from "../support/wrangler-worker";

// Storage per in-scope record, measured on the real worker (Miniflare, persisted state) without knowing where it
// keeps outcomes and logs: D1 is read table by table (dbstat), R2 through every bucket binding in wrangler.toml.
// A dataset connection of SERIALS serials against a loopback fleet, complete-reconciliation live runs:
//   steady  the first live run (every device differs, so each is updated once), then one run with nothing changed:
//           the fleet is in step, and what the ledger keeps per serial has reached its steady form
//   (a)     nothing changed                → D1 and R2 per unchanged record
//   empty   EMPTY_RUNS incremental runs with nothing in scope → the per-run fixed cost
//   (b)     CHANGED devices drifted        → per changed record
//   (c)     FAILED devices drifted, their updates answer 503 (retry_attempts 0: one try), the CHANGED ones drifted
//           again beside them (so the destination breaker, which opens when most writes to a host fail, stays
//           closed); measured on the second such run, when the same devices keep failing: the retry list is
//           replaced, not grown → per failed record, the changed records' share taken out as in (b)
// Growth of each run minus the fixed cost, divided by its records of each kind. Exceptions per job default to a
// 1M fleet's counts (15,000 changed, 5,000 failed) as far as SERIALS allows, so a per-job bound on what D1 keeps
// shows in the figures. Sizes: BENCH_SERIALS, BENCH_CHANGED, BENCH_FAILED, BENCH_EMPTY_RUNS; BENCH_TUNING as in runs-execution.
const FLEET = 1_000_000;
const RUNS_90_DAYS = 24 * 90;
// The steady-state mix of an hourly complete reconciliation the projection assumes.
const MIX = { unchanged: 0.98, changed: 0.015, failed: 0.005 } as const;
const SERIALS = Number(process.env.BENCH_SERIALS ?? 20_000);
const CHANGED = Number(process.env.BENCH_CHANGED ?? Math.min(FLEET * MIX.changed, Math.floor(SERIALS * 0.75)));
const FAILED = Number(process.env.BENCH_FAILED ?? Math.min(FLEET * MIX.failed, Math.floor(SERIALS * 0.25)));
const EMPTY_RUNS = Number(process.env.BENCH_EMPTY_RUNS ?? 5);
const TARGETS = { d1_unchanged_max: 20, r2_per_outcome_below: 10, fixed_d1_max: 2_048, projected_d1_below_gb: 5 } as const;
// The bench's source: a dataset connection keeps its records in D1, an HTTP source does not.
const SOURCE_TABLES = ["dataset_records"];
const UPLOAD_CHUNK = 50_000;
const POLL_MS = 200;
const RUN_TIMEOUT_MS = 30 * 60_000;
const GB = 1e9;

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const serialOf = (i: number) => `SN-${String(i).padStart(7, "0")}`;

interface RunRecords {
  id: string;
  status: string;
  wall_s: number;
  in_scope: number;
  unchanged: number;
  changed: number;
  failed: number;
  other: number;
}

interface JobCounters {
  in_scope: number | null;
  processed: number;
  updated: number;
  skipped_no_change: number;
  failed: number;
}

async function runOnce(worker: WranglerWorker, credentialId: string, reset: boolean): Promise<RunRecords> {
  const started = Date.now();
  const run = await worker.api<{ id: string }>("POST", "/api/runs", { credential_id: credentialId, type: "full", mode: "live", reset });
  for (;;) {
    const detail = await worker.api<{ status: string; jobs: JobCounters[] }>("GET", `/api/runs/${run.id}`);
    if (detail.status === "completed" || detail.status === "failed" || detail.status === "canceled") {
      const job = detail.jobs[0];
      const [unchanged, changed, failed] = [job?.skipped_no_change ?? 0, job?.updated ?? 0, job?.failed ?? 0];
      return {
        id: run.id,
        status: detail.status,
        wall_s: round((Date.now() - started) / 1000),
        in_scope: job?.in_scope ?? 0,
        unchanged,
        changed,
        failed,
        other: (job?.processed ?? 0) - unchanged - changed - failed,
      };
    }
    if (Date.now() - started > RUN_TIMEOUT_MS) throw new Error(`run ${run.id} still ${detail.status} after ${RUN_TIMEOUT_MS / 60_000} min`);
    await sleep(POLL_MS);
  }
}

async function seedConnection(worker: WranglerWorker, destinationUrl: string, serials: string[]): Promise<string> {
  const credential = await worker.api<{ id: string }>("POST", "/api/credentials", { name: "Scale bench", scheme: "none" });
  const connection = await worker.api<{ id: string }>("POST", "/api/connections", {
    credential_id: credential.id,
    name: "Loopback fleet",
    dry_run: false,
    config: {
      source: { kind: "dataset" },
      fetch: {
        mode: "list",
        url: `${destinationUrl}/devices`,
        format: "json",
        pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "next_cursor" },
        records_path: "devices",
        serial_path: "serial",
      },
      update: { method: "PUT", url_template: `${destinationUrl}/devices/{serial}`, formatter: "json" },
      mapping: [
        { source: "status", destination: "status" },
        { source: "firmware", destination: "firmware" },
      ],
      // No retries: a failed record costs one request, and the bench does not wait out backoffs.
      limits: { requests_per_second: 1000, concurrency: 6, timeout_ms: 10_000, retry_attempts: 0, stop_on_failure: false },
    },
  });
  for (let first = 0; first < serials.length; first += UPLOAD_CHUNK) {
    const records = serials.slice(first, first + UPLOAD_CHUNK).map((serial) => ({ serial, status: "online", firmware: "1.0.0" }));
    await worker.api("POST", `/api/connections/${connection.id}/records?mode=${first === 0 ? "replace" : "merge"}`, records);
  }
  return credential.id;
}

// ---- Attribution ----

interface Measured {
  unchangedRun: { records: RunRecords; growth: StorageGrowth };
  emptyRuns: { count: number; growth: StorageGrowth };
  changedRun: { records: RunRecords; growth: StorageGrowth };
  failedRun: { records: RunRecords; growth: StorageGrowth };
}

interface PerRecord {
  fixed: number;
  unchanged: number;
  changed: number;
  failed: number;
}

// growth = fixed + unchanged·u + changed·c + failed·f, solved run by run in the order the runs isolate each term.
function attribute(m: Measured, metric: (g: StorageGrowth) => number): PerRecord {
  const fixed = metric(m.emptyRuns.growth) / m.emptyRuns.count;
  const a = m.unchangedRun.records;
  const unchanged = (metric(m.unchangedRun.growth) - fixed) / Math.max(1, a.unchanged);
  const b = m.changedRun.records;
  const changed = (metric(m.changedRun.growth) - fixed - b.unchanged * unchanged) / Math.max(1, b.changed);
  const c = m.failedRun.records;
  const failed = (metric(m.failedRun.growth) - fixed - c.unchanged * unchanged - c.changed * changed) / Math.max(1, c.failed);
  return { fixed, unchanged, changed, failed };
}

const mixed = (p: PerRecord) => MIX.unchanged * p.unchanged + MIX.changed * p.changed + MIX.failed * p.failed;
const rounded = (p: PerRecord) => ({ fixed: round(p.fixed), unchanged: round(p.unchanged), changed: round(p.changed), failed: round(p.failed) });

// Tables bounded by the fleet, not by history: at least one row per serial after the steady runs, and as many rows
// at the end (e.g. the latest outcome per connection and serial). Their bytes per serial scale with the fleet; their
// rows change size in place as outcomes alternate, which is not history, so the per-record figures leave them out.
function fleetBounded(steady: StorageSnapshot, end: StorageSnapshot): Record<string, { rows: number; bytes_per_serial: number }> {
  const bounded: Record<string, { rows: number; bytes_per_serial: number }> = {};
  for (const [name, size] of Object.entries(end.d1.tables)) {
    if (size.rows >= SERIALS && steady.d1.tables[name]?.rows === size.rows) bounded[name] = { rows: size.rows, bytes_per_serial: round(size.used / SERIALS) };
  }
  return bounded;
}

// The tables that grew in a run, with their bytes per record of the run's kind, largest first.
function byTable(m: Measured, kind: keyof Omit<PerRecord, "fixed">): Record<string, number> {
  const names = new Set([m.unchangedRun, m.changedRun, m.failedRun, m.emptyRuns].flatMap((r) => Object.keys(r.growth.tables)));
  const rows = [...names].map((name) => [name, round(attribute(m, (g) => g.tables[name]?.used ?? 0)[kind])] as const);
  return Object.fromEntries(rows.filter(([, bytes]) => Math.abs(bytes) >= 0.1).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1])));
}

function figures(m: Measured, steady: StorageSnapshot, end: StorageSnapshot, scenario: Record<string, unknown>): ScaleFigure[] {
  const bounded = fleetBounded(steady, end);
  const inBounded = (g: StorageGrowth, size: "used" | "allocated") => Object.keys(bounded).reduce((n, name) => n + (g.tables[name]?.[size] ?? 0), 0);
  const d1 = attribute(m, (g) => g.d1Used - inBounded(g, "used"));
  const d1Allocated = attribute(m, (g) => g.d1Allocated - inBounded(g, "allocated"));
  const boundedChange = attribute(m, (g) => inBounded(g, "used"));
  const r2 = attribute(m, (g) => g.r2Bytes);
  const r2Objects = attribute(m, (g) => g.r2Objects);
  const durableObjects = attribute(m, (g) => g.durableObjectBytes);

  // One rollup row per connection-hour: each hourly run adds one, though the bench's runs share a single hour.
  const hourRows = end.d1.hourKeyed.map((name) => ({ name, bytes: end.d1.tables[name]!.used / Math.max(1, end.d1.tables[name]!.rows) }));
  const hourRowBytes = hourRows.reduce((n, row) => n + row.bytes, 0);
  const fixedD1 = d1.fixed + hourRowBytes;

  const boundedLedger = Object.entries(bounded).filter(([name]) => !SOURCE_TABLES.includes(name));
  const boundedPerSerial = boundedLedger.reduce((n, [, t]) => n + t.bytes_per_serial, 0);
  const sourcePerSerial = Object.entries(bounded)
    .filter(([name]) => SOURCE_TABLES.includes(name))
    .reduce((n, [, t]) => n + t.bytes_per_serial, 0);
  // Pages are not full: the database file is its used bytes divided by how full its pages are.
  const fill = end.d1.used / Math.max(1, end.d1.allocated);
  const historyUsed = RUNS_90_DAYS * (fixedD1 + FLEET * mixed(d1));
  const boundedUsed = FLEET * boundedPerSerial;
  const projectedD1 = (historyUsed + boundedUsed) / fill;
  const projectedR2 = RUNS_90_DAYS * (r2.fixed + FLEET * mixed(r2));
  const r2PerOutcome = mixed(r2);

  const counts = {
    serials: SERIALS,
    unchanged_run: m.unchangedRun.records,
    changed_run: m.changedRun.records,
    failed_run: m.failedRun.records,
    empty_runs: m.emptyRuns.count,
  };
  const perRecord = (kind: keyof Omit<PerRecord, "fixed">) => ({
    d1_allocated_bytes: round(d1Allocated[kind]),
    d1_by_table: byTable(m, kind),
    fleet_bounded_tables_change_not_counted: round(boundedChange[kind]),
    r2_objects: round(r2Objects[kind], 4),
    durable_object_bytes: round(durableObjects[kind]),
  });
  const noTarget = { target: "—", met: true };

  return [
    {
      figure: "D1 per unchanged record",
      value: round(d1.unchanged),
      unit: "bytes",
      target: `≤ ${TARGETS.d1_unchanged_max}`,
      met: d1.unchanged <= TARGETS.d1_unchanged_max,
      detail: { ...perRecord("unchanged"), records: m.unchangedRun.records.unchanged, ...scenario },
    },
    {
      figure: "D1 per changed record",
      value: round(d1.changed),
      unit: "bytes",
      ...noTarget,
      detail: { ...perRecord("changed"), records: m.changedRun.records.changed },
    },
    {
      figure: "D1 per failed record",
      value: round(d1.failed),
      unit: "bytes",
      ...noTarget,
      detail: { ...perRecord("failed"), records: m.failedRun.records.failed },
    },
    {
      figure: "R2 per unchanged record",
      value: round(r2.unchanged, 2),
      unit: "bytes",
      target: `< ${TARGETS.r2_per_outcome_below}`,
      met: r2.unchanged < TARGETS.r2_per_outcome_below,
      detail: { buckets: Object.keys(end.r2.buckets), objects_per_record: round(r2Objects.unchanged, 4) },
    },
    { figure: "R2 per changed record", value: round(r2.changed, 2), unit: "bytes", ...noTarget },
    { figure: "R2 per failed record", value: round(r2.failed, 2), unit: "bytes", ...noTarget },
    {
      figure: `R2 per outcome at the steady mix (${MIX.unchanged * 100} / ${MIX.changed * 100} / ${MIX.failed * 100} %)`,
      value: round(r2PerOutcome, 2),
      unit: "bytes",
      target: `< ${TARGETS.r2_per_outcome_below}`,
      met: r2PerOutcome < TARGETS.r2_per_outcome_below,
    },
    {
      figure: "per-run fixed D1 cost (run with nothing in scope)",
      value: Math.round(fixedD1),
      unit: "bytes",
      target: `≤ ${TARGETS.fixed_d1_max.toLocaleString("en-US")}`,
      met: fixedD1 <= TARGETS.fixed_d1_max,
      detail: {
        measured_per_empty_run: round(d1.fixed),
        hour_keyed_rollup_rows: Object.fromEntries(hourRows.map((row) => [row.name, round(row.bytes)])),
        d1_allocated_per_empty_run: round(d1Allocated.fixed),
        r2_bytes_per_run: round(r2.fixed),
        durable_object_bytes_per_run: round(durableObjects.fixed),
        durable_objects_per_run: round(attribute(m, (g) => g.durableObjects).fixed, 2),
        by_table: Object.fromEntries(
          Object.entries(m.emptyRuns.growth.tables)
            .map(([name, t]) => [name, round(t.used / m.emptyRuns.count)] as const)
            .filter(([, bytes]) => bytes !== 0),
        ),
      },
    },
    {
      figure: "D1 per serial in fleet-bounded tables",
      value: round(boundedPerSerial),
      unit: "bytes",
      ...noTarget,
      detail: { tables: bounded, source_dataset_bytes_per_serial_not_projected: round(sourcePerSerial) },
    },
    {
      figure: "projected D1, 1M serials hourly for 90 days",
      value: round(projectedD1 / GB, 2),
      unit: "GB",
      target: `< ${TARGETS.projected_d1_below_gb}`,
      met: projectedD1 / GB < TARGETS.projected_d1_below_gb,
      detail: {
        formula: "(runs × (fixed + fleet × mix·per-record) + fleet × fleet-bounded bytes per serial) ÷ page fill",
        fleet: FLEET,
        runs: RUNS_90_DAYS,
        mix: MIX,
        per_record_bytes: rounded(d1),
        fixed_bytes_with_hourly_rollup: round(fixedD1),
        history_gb: round(historyUsed / GB, 2),
        fleet_bounded_gb: round(boundedUsed / GB, 2),
        page_fill: round(fill, 3),
        not_included: "the source dataset's own rows (dataset connections only), see fleet-bounded tables",
        counts,
      },
    },
    {
      figure: "projected R2, 1M serials hourly for 90 days",
      value: round(projectedR2 / GB, 2),
      unit: "GB",
      ...noTarget,
      detail: { per_record_bytes: rounded(r2), mix: MIX, runs: RUNS_90_DAYS, fleet: FLEET },
    },
  ];
}

// ---- The scenario ----

// Requests by kind; the timelines the throughput bench reads (idle gaps, time at each number in flight) say nothing here.
function requestCounts(counts: Awaited<ReturnType<LoopbackFleet["counts"]>>) {
  const { idle_gaps: _gaps, in_flight_ms: _inFlight, ...kinds } = counts;
  return kinds;
}

export async function measure(): Promise<ScaleFigure[]> {
  const serials = Array.from({ length: SERIALS }, (_, i) => serialOf(i));
  // Disjoint: three in four serials may change, the fourth may fail.
  const changedSerials = serials.filter((_, i) => i % 4 !== 3).slice(0, CHANGED);
  const failedSerials = serials.filter((_, i) => i % 4 === 3).slice(0, FAILED);
  const persist = mkdtempSync(join(process.env.BENCH_PERSIST_DIR ?? tmpdir(), "bench-scale-storage-"));
  const fleet = await startLoopbackFleet(serials);
  // Failures at a 1M fleet's count come 1 in 4 here, not 1 in 200: the streak that stops a job during an outage
  // (failureStreakLimit, through the coordinator's own COORDINATOR_TUNING var) is raised so run (c) completes.
  const tuning = { failureStreakLimit: SERIALS + 1, ...(JSON.parse(process.env.BENCH_TUNING ?? "{}") as object) };
  const worker = await startWranglerWorker({ persist, vars: { ENVIRONMENT: "development", COORDINATOR_TUNING: JSON.stringify(tuning) } });
  try {
    const credentialId = await seedConnection(worker, fleet.url, serials);
    console.log(`storage: ${SERIALS} serials, R2 bindings ${worker.r2Bindings.join(", ") || "none"}; state in ${persist}`);
    const step = async (label: string, reset: boolean) => {
      const records = await runOnce(worker, credentialId, reset);
      const { id: _id, ...shown } = records;
      console.log(`  ${label}: ${JSON.stringify(shown)}`);
      return records;
    };
    const expect = (label: string, actual: number, expected: number) => {
      if (actual !== expected) console.warn(`  ${label}: expected ${expected}, got ${actual} (figures use the real counts)`);
    };

    const start = await settledSnapshot(worker, persist);
    const steadyRun = await step("steady (first live run)", true);
    expect("steady run changed records", steadyRun.changed, SERIALS);
    expect("steady run unchanged records", (await step("steady (nothing changed)", true)).unchanged, SERIALS);
    const steady = await settledSnapshot(worker, persist);

    const unchangedRecords = await step("(a) nothing changed", true);
    expect("(a) unchanged records", unchangedRecords.unchanged, SERIALS);
    const afterUnchanged = await settledSnapshot(worker, persist);

    for (let k = 0; k < EMPTY_RUNS; k++) expect("empty run in scope", (await step(`empty ${k + 1}/${EMPTY_RUNS}`, false)).in_scope, 0);
    const afterEmpty = await settledSnapshot(worker, persist);

    await fleet.drift(changedSerials, false);
    const changedRecords = await step(`(b) ${CHANGED} changed`, true);
    expect("(b) changed records", changedRecords.changed, CHANGED);
    const afterChanged = await settledSnapshot(worker, persist);

    // The failing updates go out between the changed ones, as on a live fleet: a run whose every write fails is an
    // outage, and the destination's circuit breaker would hold it back until the host answers again.
    await fleet.drift(failedSerials, true);
    await fleet.drift(changedSerials, false);
    expect("(c) failures begin", (await step(`(c) ${FAILED} begin failing`, true)).failed, FAILED);
    const afterFailuresBegin = await settledSnapshot(worker, persist);
    await fleet.drift(changedSerials, false);
    const failedRecords = await step(`(c) ${FAILED} still failing`, true);
    expect("(c) failed records", failedRecords.failed, FAILED);
    const end = await settledSnapshot(worker, persist);

    const measured: Measured = {
      unchangedRun: { records: unchangedRecords, growth: growth(steady, afterUnchanged) },
      emptyRuns: { count: EMPTY_RUNS, growth: growth(afterUnchanged, afterEmpty) },
      changedRun: { records: changedRecords, growth: growth(afterEmpty, afterChanged) },
      failedRun: { records: failedRecords, growth: growth(afterFailuresBegin, end) },
    };
    const scenario = {
      steady_run: steadyRun,
      failures_begin_d1_bytes: growth(afterChanged, afterFailuresBegin).d1Used,
      steady_runs_d1_bytes: growth(start, steady).d1Used,
      d1_bytes_at_end: end.d1.used,
      destination_requests_total: requestCounts(await fleet.counts()),
    };
    return figures(measured, steady, end, scenario);
  } finally {
    await worker.dispose();
    await fleet.close();
    rmSync(persist, { recursive: true, force: true });
  }
}
