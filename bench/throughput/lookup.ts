/// <reference types="node" />
import type { Figure } from "../support/figure";
import { CONCURRENCY, meanInFlight, round, startThroughputBench, fleetConfig } from "./harness";

// Full Live, per-serial lookup: every serial is looked up (GET) and, since its status differs from the fleet's,
// written (PUT). Baseline: a bare fetch loop in workerd sending the same GET then PUT per serial at the same
// concurrency, in the same run.
const SERIALS = Number(process.env.BENCH_SERIALS ?? 10_000);
const TARGET_RATIO = 1.05;

export async function measure(): Promise<Figure[]> {
  const bench = await startThroughputBench({ serials: SERIALS });
  try {
    const { credentialId } = await bench.connection(fleetConfig(bench.fleet.url, "perSerial"));
    await bench.fleet.counts();
    const run = await bench.run(credentialId);
    const runCounts = await bench.fleet.counts();
    const sequences = bench.serials.map((serial) => [
      { method: "GET", url: `${bench.fleet.url}/devices/${serial}` },
      { method: "PUT", url: `${bench.fleet.url}/devices/${serial}`, body: JSON.stringify({ status: "offline", firmware: "1.0.0" }) },
    ]);
    const jobId = String(run.jobs[0]?.id);
    const logs = await bench.worker.api<{ data: Array<{ level: string; message: string }> }>("GET", `/api/jobs/${jobId}/logs?limit=500`);
    const concurrencyLines = logs.data.filter((line) => line.message.startsWith("Concurrency")).map((line) => `${line.level} ${line.message}`);
    const baseline = await bench.plain(sequences);
    const baseCounts = await bench.fleet.counts();
    const ratio = round(run.wall_s / (baseline.wall_ms / 1000), 3);
    const inFlight = meanInFlight(runCounts.busy_ms, run.wall_s * 1000);
    const baseInFlight = meanInFlight(baseCounts.busy_ms, baseline.wall_ms);
    const detail = {
      serials: SERIALS,
      concurrency: CONCURRENCY,
      run: { status: run.status, wall_s: run.wall_s, requests: runCounts, mean_in_flight: inFlight, concurrency_log: concurrencyLines },
      baseline: { wall_s: baseline.wall_ms / 1000, requests: baseline.requests, statuses: baseline.statuses, mean_in_flight: baseInFlight },
    };
    console.log(JSON.stringify(detail));
    return [
      {
        figure: "Full Live per-serial lookup ÷ same-run plain GET+PUT loop",
        value: ratio,
        unit: "×",
        target: `≤ ${TARGET_RATIO}`,
        met: ratio <= TARGET_RATIO,
        detail,
      },
      {
        figure: "Per-serial lookup mean requests in flight (baseline's in detail)",
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
