/// <reference types="node" />
import { printProfile, startCpuProfile, type CpuProfiler } from "../support/cpu-profile";
import type { Figure } from "../support/figure";
import { CONCURRENCY, fleetContracts, meanInFlight, round, startThroughputBench, type PlainRequest } from "./harness";
import { whereTheTimeGoes, workerdCpuSeconds } from "./live";

// Full Live in bulk mode, list lookup: every serial's status differs from the fleet's, so the run sends one POST
// per batch of MAX_RECORDS; a few serials are refused by the fleet, so their batches come back 422 and are split
// down to them. Baseline: a bare fetch loop in workerd sending the same requests (whole batches and every half
// of the splits) at the same concurrency, in the same run, without waiting for a rejection before its halves.
const SERIALS = Number(process.env.BENCH_SERIALS ?? 10_000);
const MAX_RECORDS = 50;
const TARGET_RATIO = 1.05;
// Destination time per record of a bulk request (ms), on top of the fleet's 10 ms latency per request. With none,
// a batch of 50 costs the destination what one PUT does and the baseline sends 10,000 records in about 0.5 s
// (33 µs of destination time a record), while the run's own work per record, which no bulk request hides (the
// listing read, the queue, outcomes, the R2/D1 archive: about 2.4 s of workerd CPU per 10,000 records), would be
// the figure instead of bulk throughput; a bigger run does not help, as that work grows with the records too. 4 ms
// a record (210 ms a batch of 50) is a destination applying each record of a batch, as bulk endpoints do. Not more:
// at 8 ms the adaptive limit takes a 410 ms answer for congestion against the listing's usual latency and halves.
// BENCH_BULK_LOGS=1 prints the job's log (splits, concurrency changes).
const RECORD_MS = Number(process.env.BENCH_BULK_RECORD_MS ?? 4);

// A few refused serials spread over the run, two of them in one batch.
function refusedSerials(serials: string[]): string[] {
  const at = [0.1, 0.37, 0.371, 0.8].map((share) => Math.floor(share * serials.length));
  return [...new Set(at.map((i) => serials[Math.min(i, serials.length - 1)]!))];
}

// The requests the run makes for one batch: the batch, then each half of a rejected one down to the refused serials.
function requestsOf(batch: string[], refused: ReadonlySet<string>): string[][] {
  if (!batch.some((serial) => refused.has(serial)) || batch.length === 1) return [batch];
  const middle = Math.ceil(batch.length / 2);
  return [batch, ...requestsOf(batch.slice(0, middle), refused), ...requestsOf(batch.slice(middle), refused)];
}

export async function measure(): Promise<Figure[]> {
  // BENCH_PROFILE=1: a CPU profile of the worker's isolate during the run (it slows the run: figures are not comparable).
  const profiling = process.env.BENCH_PROFILE === "1";
  const bench = await startThroughputBench({ serials: SERIALS, bulkRecordMs: RECORD_MS, ...(profiling ? { inspectorPort: 0 } : {}) });
  try {
    const contracts = fleetContracts(bench.fleet.url);
    const url = `${bench.fleet.url}/devices/bulk`;
    const { credentialId } = await bench.connection({
      source: { kind: "dataset" },
      fetch: contracts.list,
      update: { method: "POST", url_template: url, formatter: "json", bulk: { max_records: MAX_RECORDS, records_key: "devices", serial_field: "serial" } },
      mapping: contracts.mapping,
      limits: contracts.limits,
    });
    const refused = refusedSerials(bench.serials);
    await bench.fleet.refuse(refused);
    await bench.fleet.counts();
    const profiler: CpuProfiler | null = profiling ? await startCpuProfile(bench.worker.mf, "bench-worker") : null;
    const cpuBefore = workerdCpuSeconds();
    const run = await bench.run(credentialId);
    if (profiler !== null) printProfile(await profiler.stop());
    const runCpu = round(workerdCpuSeconds() - cpuBefore);
    const runCounts = await bench.fleet.counts();

    const ordered = [...bench.serials].sort();
    const batches = Array.from({ length: Math.ceil(ordered.length / MAX_RECORDS) }, (_, i) => ordered.slice(i * MAX_RECORDS, (i + 1) * MAX_RECORDS));
    const requests: PlainRequest[][] = batches
      .flatMap((batch) => requestsOf(batch, new Set(refused)))
      .map((serials) => [{ method: "POST", url, body: JSON.stringify({ devices: serials.map((serial) => ({ serial, status: "online" })) }) }]);
    const baseCpuBefore = workerdCpuSeconds();
    // The run reads the listing first; so does the loop.
    const baseline = await bench.plain(requests, { first: bench.listingRequests() });
    const baseCpu = round(workerdCpuSeconds() - baseCpuBefore);
    const baseCounts = await bench.fleet.counts();

    const job = run.jobs[0] ?? {};
    const updated = Number(job.updated ?? 0);
    const failed = Number(job.failed ?? 0);
    const exact = run.status === "completed" && updated === SERIALS - refused.length && failed === refused.length;
    const ratio = round(run.wall_s / (baseline.wall_ms / 1000), 3);
    // While the run writes (its first bulk request to its last answer): the listing read before it is one request
    // at a time by nature (each page's cursor comes from the one before) and the plain loop makes none.
    const writing = meanInFlight(runCounts.bulk_busy_ms, runCounts.bulk_span_ms);
    const baseWriting = meanInFlight(baseCounts.bulk_busy_ms, baseCounts.bulk_span_ms);
    const detail = {
      serials: SERIALS,
      max_records: MAX_RECORDS,
      bulk_record_ms: RECORD_MS,
      refused,
      concurrency: CONCURRENCY,
      run: {
        status: run.status,
        wall_s: run.wall_s,
        updated,
        failed,
        requests: runCounts,
        mean_in_flight: meanInFlight(runCounts.busy_ms, run.wall_s * 1000),
        mean_in_flight_writing: writing,
        writing_s: round(runCounts.bulk_span_ms / 1000),
        workerd_cpu_s: runCpu,
      },
      baseline: {
        wall_s: baseline.wall_ms / 1000,
        requests: baseline.requests,
        statuses: baseline.statuses,
        mean_in_flight: meanInFlight(baseCounts.busy_ms, baseline.wall_ms),
        mean_in_flight_writing: baseWriting,
        workerd_cpu_s: baseCpu,
      },
    };
    console.log(JSON.stringify(detail));
    const phases = await bench.phases(run.id);
    if (process.env.BENCH_BULK_LOGS === "1") console.log(JSON.stringify(await bench.worker.api("GET", `/api/jobs/${String(job.id)}/logs?limit=500`)));
    console.log(whereTheTimeGoes(run.wall_s * 1000, phases, runCounts.in_flight_ms, runCounts.idle_gaps));
    console.log(`  workerd CPU: ${runCpu} s during the run (polling included), ${baseCpu} s during the baseline (${round(baseline.wall_ms / 1000)} s)`);
    return [
      {
        figure: `Full Live bulk (refused records split out, ${RECORD_MS} ms a record at the destination) ÷ same-run plain fetch baseline`,
        value: ratio,
        unit: "×",
        target: `≤ ${TARGET_RATIO}`,
        met: ratio <= TARGET_RATIO,
        detail: { ...detail, phases },
      },
      {
        figure: "Full Live bulk mean requests in flight while writing (baseline's in detail)",
        value: writing,
        unit: `of ${CONCURRENCY}`,
        target: `≥ ${baseWriting}`,
        met: writing >= baseWriting,
      },
      {
        figure: `Full Live bulk exact outcomes: updated = ${SERIALS} − ${refused.length} refused, failed = ${refused.length}`,
        value: exact ? 1 : 0,
        unit: `(updated ${updated}, failed ${failed})`,
        target: "= 1",
        met: exact,
      },
    ];
  } finally {
    await bench.dispose();
  }
}
