/// <reference types="node" />
import { readdirSync, readFileSync } from "node:fs";
import { printProfile, startCpuProfile, type CpuProfiler } from "../support/cpu-profile";
import type { Figure } from "../support/figure";
import { CONCURRENCY, meanInFlight, round, startThroughputBench, fleetConfig } from "./harness";

// Full Live, list lookup: every serial's status differs from the fleet's, so the run sends one PUT per record.
// Baseline: a bare fetch loop in workerd making the same requests in the same run: the listing's pages one after
// another, then the PUTs at the same concurrency.
const SERIALS = Number(process.env.BENCH_SERIALS ?? 10_000);
const TARGET_RATIO = 1.03;

export async function measure(): Promise<Figure[]> {
  // BENCH_PROFILE=1: a CPU profile of the worker's isolate during the run (it slows the run: figures are not comparable).
  const profiling = process.env.BENCH_PROFILE === "1";
  const bench = await startThroughputBench({ serials: SERIALS, ...(profiling ? { inspectorPort: 0 } : {}) });
  try {
    const { credentialId } = await bench.connection(fleetConfig(bench.fleet.url, "list"));
    await bench.fleet.counts();
    const profiler: CpuProfiler | null = profiling ? await startCpuProfile(bench.worker.mf, "bench-worker") : null;
    const cpuBefore = workerdCpuSeconds();
    const run = await bench.run(credentialId);
    if (profiler !== null) printProfile(await profiler.stop());
    const runCounts = await bench.fleet.counts();
    const runCpu = round(workerdCpuSeconds() - cpuBefore);
    const phases = await bench.phases(run.id);
    const puts = bench.serials.map((serial) => [
      { method: "PUT", url: `${bench.fleet.url}/devices/${serial}`, body: JSON.stringify({ status: "offline", firmware: "1.0.0" }) },
    ]);
    const baseCpuBefore = workerdCpuSeconds();
    // The run reads the listing before its writes; so does the loop (the same requests, 10 pages for 10,000).
    const baseline = await bench.plain(puts, { first: bench.listingRequests() });
    const baseCounts = await bench.fleet.counts();
    const baseCpu = round(workerdCpuSeconds() - baseCpuBefore);
    // BENCH_IN_OBJECT=1: the loop once more inside a Durable Object, to tell the platform's share from the coordinator's.
    const inObject = process.env.BENCH_IN_OBJECT === "1" ? await bench.plain(puts, { first: bench.listingRequests(), inObject: true }) : null;
    const ratio = round(run.wall_s / (baseline.wall_ms / 1000), 3);
    const inFlight = meanInFlight(runCounts.busy_ms, run.wall_s * 1000);
    const baseInFlight = meanInFlight(baseCounts.busy_ms, baseline.wall_ms);
    const detail = {
      serials: SERIALS,
      concurrency: CONCURRENCY,
      run: { status: run.status, wall_s: run.wall_s, requests: runCounts, mean_in_flight: inFlight, workerd_cpu_s: runCpu },
      ...(inObject === null ? {} : { plain_loop_in_a_durable_object_s: inObject.wall_ms / 1000 }),
      baseline: {
        wall_s: baseline.wall_ms / 1000,
        requests: baseline.requests,
        statuses: baseline.statuses,
        mean_in_flight: baseInFlight,
        workerd_cpu_s: baseCpu,
      },
    };
    console.log(JSON.stringify(detail));
    console.log(whereTheTimeGoes(run.wall_s * 1000, phases, runCounts.in_flight_ms, runCounts.idle_gaps));
    console.log(`  workerd CPU: ${runCpu} s during the run (polling included), ${baseCpu} s during the baseline (${round(baseline.wall_ms / 1000)} s)`);
    if (inObject !== null) {
      console.log(
        `  the same loop inside a Durable Object: ${round(inObject.wall_ms / 1000)} s (${round(inObject.wall_ms / baseline.wall_ms, 3)} × the baseline)`,
      );
    }
    console.log(`  the listing's pages: ${round((phases.listing?.ms ?? 0) / 1000, 2)} s in the run, ${round(baseline.first_ms / 1000, 2)} s in the loop`);
    console.log(`  baseline, requests in flight → time: ${baseCounts.in_flight_ms.map((ms, n) => `${n}: ${round(ms / 1000, 2)} s`).join(" · ")}`);
    return [
      {
        figure: "Full Live ÷ same-run plain fetch baseline",
        value: ratio,
        unit: "×",
        target: `≤ ${TARGET_RATIO}`,
        met: ratio <= TARGET_RATIO,
        detail: { ...detail, phases, in_flight_ms: runCounts.in_flight_ms },
      },
      {
        figure: "Full Live mean requests in flight (baseline's in detail)",
        value: inFlight,
        unit: `of ${CONCURRENCY}`,
        target: `≥ ${baseInFlight}`,
        met: inFlight >= baseInFlight,
      },
    ];
  } finally {
    await bench.dispose();
  }
}

// The coordinator's phases as it timed them (nested ones indented: they are part of the line above) and, from the
// destination's side, how long it had 0…6 requests in flight.
const PHASES: Array<[string, string, number]> = [
  ["job_start", "job start (connection, credential, D1)", 0],
  ["alarm", "setting alarms", 0],
  ["between_steps", "between steps (alarm to alarm)", 0],
  ["admit", "breaker admission", 0],
  ["flush", "outbox flushes (R2 + D1) awaited by a step", 0],
  ["listing", "reading the listing", 0],
  ["fill", "filling the queue from D1", 0],
  ["slice", "slices", 0],
  ["checkpoint", "checkpoints (synchronous)", 1],
  ["intents_durable", "write intents becoming durable (serial chain)", 1],
  ["report", "breaker reports", 0],
  ["finish", "job and run finish", 0],
];

export function whereTheTimeGoes(
  wallMs: number,
  phases: Record<string, { ms: number; count: number }>,
  inFlightMs: number[],
  idleGaps: Array<[number, number]> = [],
): string {
  const lines = [`where the time goes (run ${round(wallMs / 1000, 2)} s):`];
  for (const [key, label, depth] of PHASES) {
    const phase = phases[key];
    if (phase === undefined) continue;
    lines.push(`  ${"  ".repeat(depth)}${label.padEnd(52 - 2 * depth)} ${String(round(phase.ms / 1000, 2)).padStart(7)} s  ×${phase.count}`);
  }
  for (const [key, phase] of Object.entries(phases)) {
    if (!PHASES.some(([known]) => known === key)) lines.push(`  ${key.padEnd(52)} ${String(round(phase.ms / 1000, 2)).padStart(7)} s  ×${phase.count}`);
  }
  const span = inFlightMs.reduce((sum, ms) => sum + ms, 0);
  const levels = inFlightMs.map((ms, n) => `${n}: ${round(ms / 1000, 2)} s`).join(" · ");
  lines.push(`  destination, requests in flight → time: ${levels} (first request to last answer ${round(span / 1000, 2)} s)`);
  if (idleGaps.length > 0) {
    const total = idleGaps.reduce((sum, [, ms]) => sum + ms, 0);
    const longest = [...idleGaps].sort((a, b) => b[1] - a[1]).slice(0, 12);
    lines.push(
      `  nothing in flight for 20 ms or more: ${idleGaps.length} times, ${round(total / 1000, 2)} s; longest (at s: ms): ` +
        longest.map(([at, ms]) => `${round(at / 1000, 2)}: ${ms}`).join(" · "),
    );
  }
  return lines.join("\n");
}

// CPU seconds (user + system) of the workerd processes this bench started: a run starved of CPU stalls however
// well its requests are pipelined. Linux only; 0 elsewhere.
export function workerdCpuSeconds(): number {
  let ticks = 0;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // the process ended meanwhile
    }
    const close = stat.lastIndexOf(")");
    if (!stat.slice(stat.indexOf("(") + 1, close).startsWith("workerd")) continue;
    const fields = stat.slice(close + 2).split(" ");
    if (Number(fields[1]) !== process.pid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}
