/// <reference types="node" />
import type { Figure } from "../support/figure";
import { CONCURRENCY, fleetConfig, meanInFlight, round, startThroughputBench, type ThroughputBench } from "./harness";

// Adaptive concurrency: a fleet that answers 429 to any request beyond MAX_IN_FLIGHT at once, written by a Full Live
// run (list lookup, one PUT per record) whose connection allows CONCURRENCY. The run should settle near
// MAX_IN_FLIGHT with few 429s and complete. Reference, in the same run: the same job on a connection set by hand to
// exactly MAX_IN_FLIGHT (it never meets a 429), so the cost of finding the limit shows as a ratio.
const SERIALS = Number(process.env.BENCH_SERIALS ?? 5_000);
const MAX_IN_FLIGHT = 3;
const TARGET_RATIO = 1.2;
const TARGET_REFUSED = 0.02;

interface RequestPage {
  data: Array<{ seq: number; status: number | null; concurrency: number | null; phase: string }>;
  next_cursor: string | null;
}

async function requestsOf(bench: ThroughputBench, jobId: string): Promise<RequestPage["data"]> {
  const entries: RequestPage["data"] = [];
  for (let cursor: string | null = null; ;) {
    const page: RequestPage = await bench.worker.api("GET", `/api/jobs/${jobId}/requests?limit=500${cursor === null ? "" : `&cursor=${cursor}`}`);
    entries.push(...page.data);
    if (page.next_cursor === null) return entries.sort((a, b) => a.seq - b.seq);
    cursor = page.next_cursor;
  }
}

// The controller's decisions as the requests saw them, in the order they ended: "6×16 3×21 4!×1 2×22 …" is 16
// requests sent under 6, then 21 under 3, one under 4 refused with 429, … (the first TIMELINE_RUNS runs).
const TIMELINE_RUNS = 60;
function concurrencyTimeline(entries: RequestPage["data"]): string {
  const runs: Array<{ key: string; count: number }> = [];
  for (const entry of entries) {
    if (entry.concurrency === null) continue;
    const key = `${entry.concurrency}${entry.status === 429 ? "!" : ""}`;
    const last = runs.at(-1);
    if (last?.key === key) last.count += 1;
    else runs.push({ key, count: 1 });
  }
  const shown = runs.slice(0, TIMELINE_RUNS).map((run) => `${run.key}×${run.count}`);
  return shown.join(" ") + (runs.length > TIMELINE_RUNS ? ` … (${runs.length - TIMELINE_RUNS} more runs)` : "");
}

async function liveRun(bench: ThroughputBench, concurrency: number) {
  // Retries for the 429s: the destination turned the request away without applying it.
  const { credentialId } = await bench.connection(fleetConfig(bench.fleet.url, "list", { concurrency, retry_attempts: 5 }));
  await bench.fleet.drift(bench.serials, false);
  await bench.fleet.counts();
  const run = await bench.run(credentialId);
  const counts = await bench.fleet.counts();
  const jobId = String(run.jobs[0]?.id);
  const entries = await requestsOf(bench, jobId);
  const limits = entries.flatMap((entry) => (entry.concurrency === null ? [] : [entry.concurrency]));
  const logs = await bench.worker.api<{ data: Array<{ level: string; message: string }> }>("GET", `/api/jobs/${jobId}/logs?limit=500`);
  const sent = counts.list + counts.put + counts.too_many;
  return {
    status: run.status,
    wall_s: run.wall_s,
    requests: counts,
    refused_share: sent === 0 ? 0 : round(counts.too_many / sent, 4),
    mean_in_flight: meanInFlight(counts.busy_ms, run.wall_s * 1000),
    mean_concurrency: limits.length === 0 ? 0 : round(limits.reduce((a, b) => a + b, 0) / limits.length),
    last_concurrency: limits.at(-1) ?? null,
    concurrency_timeline: concurrencyTimeline(entries),
    concurrency_log: logs.data.filter((line) => line.message.startsWith("Concurrency")).map((line) => `${line.level} ${line.message}`),
  };
}

export async function measure(): Promise<Figure[]> {
  const bench = await startThroughputBench({ serials: SERIALS, maxInFlight: MAX_IN_FLIGHT });
  try {
    const adaptive = await liveRun(bench, CONCURRENCY);
    const fixed = await liveRun(bench, MAX_IN_FLIGHT);
    const ratio = round(adaptive.wall_s / fixed.wall_s, 3);
    const detail = { serials: SERIALS, destination_takes: MAX_IN_FLIGHT, connection_allows: CONCURRENCY, adaptive, fixed_at_destination_limit: fixed };
    console.log(JSON.stringify(detail));
    const settled = adaptive.mean_concurrency >= MAX_IN_FLIGHT - 1 && adaptive.mean_concurrency <= MAX_IN_FLIGHT + 1;
    return [
      {
        figure: `Adaptive: mean concurrency requests were sent under (destination takes ${MAX_IN_FLIGHT}, connection allows ${CONCURRENCY})`,
        value: adaptive.mean_concurrency,
        unit: "at once",
        target: `${MAX_IN_FLIGHT - 1}–${MAX_IN_FLIGHT + 1}`,
        met: settled && adaptive.status === "completed",
        detail,
      },
      {
        figure: "Adaptive: requests refused with 429",
        value: round(adaptive.refused_share * 100, 2),
        unit: "%",
        target: `≤ ${TARGET_REFUSED * 100}%`,
        met: adaptive.refused_share <= TARGET_REFUSED,
      },
      {
        figure: `Adaptive run ÷ same job at a fixed concurrency of ${MAX_IN_FLIGHT}`,
        value: ratio,
        unit: "×",
        target: `≤ ${TARGET_RATIO}`,
        met: ratio <= TARGET_RATIO && fixed.status === "completed",
      },
    ];
  } finally {
    await bench.dispose();
  }
}
