/// <reference types="node" />
import { readdirSync, readFileSync } from "node:fs";
import { printProfile, startCpuProfile, type CpuProfiler } from "../support/cpu-profile";
import type { Figure } from "../support/figure";
import { round, startThroughputBench, fleetConfig } from "./harness";

// Full Dry, list lookup: the destination listing is read into the coordinator's index, then every dataset record
// is looked up in it, reconciled and decided (every serial's status differs from the fleet's, so each one is a
// Would Update with its planned write), with outcomes, plan and logs checkpointed, archived in R2 and counted in D1.
// Records per second over the run's own wall time (from its start to its finish as the ledger records them), so
// the listing read and every ledger write are in it; the phases are in the detail. BENCH_PROFILE=1 adds a CPU
// profile of the worker's isolate: self time per function, where the coordinator's time goes.
const SERIALS = Number(process.env.BENCH_SERIALS ?? 100_000);
const TARGET_PER_S = 30_000;

// CPU seconds (user + system) of the workerd processes this bench started: what a run costs whatever else the
// machine runs, where wall time on a shared machine also counts the time others' processes took. `main`: the
// process's main thread alone, which runs the worker's isolate, its Durable Objects and Miniflare's D1 and R2
// simulators (V8's helper threads are the rest): a run cannot take less wall time than that thread's CPU.
function workerdCpuSeconds(): { total: number; main: number } {
  const ticks = 100;
  const seconds = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticks;
  };
  let total = 0;
  let main = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (command !== "workerd" || Number(fields[1]) !== process.pid) continue;
      total += seconds(stat);
      main += seconds(readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8"));
    } catch {
      continue; // gone meanwhile
    }
  }
  return { total, main };
}

interface LogLine {
  at: string;
  message: string;
}

export async function measure(): Promise<Figure[]> {
  const profiling = process.env.BENCH_PROFILE === "1";
  const bench = await startThroughputBench({ serials: SERIALS, ...(profiling ? { inspectorPort: 0 } : {}) });
  try {
    const { credentialId } = await bench.connection(fleetConfig(bench.fleet.url, "list"));
    await bench.fleet.counts();
    const profiler: CpuProfiler | null = profiling ? await startCpuProfile(bench.worker.mf, "bench-worker") : null;
    const cpuBefore = workerdCpuSeconds();
    const run = await bench.run(credentialId, { mode: "dry" });
    const cpuAfter = workerdCpuSeconds();
    const cpuSeconds = cpuAfter.total - cpuBefore.total;
    const mainThreadSeconds = cpuAfter.main - cpuBefore.main;
    const profile = profiler === null ? null : await profiler.stop();
    const requests = await bench.fleet.counts();

    const job = run.jobs[0]!;
    const jobId = String(job.id);
    const logs = await bench.worker.api<{ data: LogLine[] }>("GET", `/api/jobs/${jobId}/logs?limit=500`);
    const listed = logs.data.find((line) => line.message.startsWith("Destination listing read"));
    const runDetail = await bench.worker.api<{ started_at: string; finished_at: string }>("GET", `/api/runs/${run.id}`);
    const at = (iso: string | null | undefined) => (iso == null ? null : Date.parse(iso));
    const runStart = at(runDetail.started_at)!;
    const listingDone = at(listed?.at);
    const jobFinished = at(job.finished_at as string | null);
    const runFinished = at(runDetail.finished_at)!;
    const phases = {
      start_and_listing_s: listingDone === null ? null : round((listingDone - runStart) / 1000, 3),
      records_s: listingDone === null || jobFinished === null ? null : round((jobFinished - listingDone) / 1000, 3),
      run_finish_s: jobFinished === null ? null : round((runFinished - jobFinished) / 1000, 3),
    };
    // The coordinator's own time per phase (listing, fill, slice, checkpoint, flush…), read after the run.
    const coordinator = await bench.phases(run.id);
    const processed = Number(job.processed);
    const wouldUpdate = Number(job.would_update);
    const exact = run.status === "completed" && processed === SERIALS && wouldUpdate === SERIALS;
    const perSecond = Math.round(SERIALS / run.wall_s);
    const recordsPerSecond = phases.records_s === null || phases.records_s <= 0 ? null : Math.round(SERIALS / phases.records_s);
    const detail = {
      serials: SERIALS,
      run: { status: run.status, wall_s: run.wall_s, processed, would_update: wouldUpdate, requests },
      phases,
      coordinator_phases: coordinator,
      records_phase_per_s: recordsPerSecond,
      // Polling the run's status every 100 ms is in it too (a few ms a poll).
      workerd_cpu_s: round(cpuSeconds, 2),
      workerd_cpu_ms_per_1000_records: round((cpuSeconds * 1_000_000) / SERIALS, 1),
      // The share of the run's wall time workerd's one main thread was busy: near 1, the run is bound by that
      // thread's CPU (the coordinator and the local D1 and R2 together), not by waiting.
      workerd_main_thread_cpu_s: round(mainThreadSeconds, 2),
      workerd_main_thread_busy: round(mainThreadSeconds / run.wall_s, 2),
      ...(profile === null ? {} : { cpu_profile: profile }),
    };
    const { cpu_profile: _profile, ...shown } = detail as typeof detail & { cpu_profile?: unknown };
    console.log(JSON.stringify(shown));
    if (profile !== null) printProfile(profile);
    return [
      {
        figure: "Full Dry, list lookup: records per second end to end (listing read and ledger writes included)",
        value: perSecond,
        unit: "records/s",
        target: `≥ ${TARGET_PER_S.toLocaleString("en-US")}, every record Would Update`,
        met: exact && perSecond >= TARGET_PER_S,
        detail,
      },
    ];
  } finally {
    await bench.dispose();
  }
}
