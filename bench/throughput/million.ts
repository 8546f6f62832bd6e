/// <reference types="node" />
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Figure } from "../support/figure";
import { openInspector } from "../support/inspector";
import type { WranglerWorker } from "../support/wrangler-worker";
import { fleetConfig, round, serialOf, startThroughputBench, type FinishedRun } from "./harness";

// A list-mode run over a fleet of SERIALS (default 1,000,000) serials, and the same run over REFERENCE (100,000)
// serials, each in a fresh workerd: the coordinator's memory should not grow with the run (the listing lives in
// its SQLite, the source is read a batch at a time), and once the run is finished its storage is released.
// The run is live, and the dataset equals the fleet but for one serial in CHANGED_EVERY: every other record is
// looked up in the listing index, reconciled and found unchanged, so the whole path of a live run (listing,
// source batches, slices, checkpoints, write intents, outbox flushes, archive, ledger) is taken for every
// serial while the destination sees only the listing and a few PUTs. The dataset is written straight into D1
// (bench only): uploading 1M records through the API in 50,000-record requests takes minutes and measures
// nothing of the run. BENCH_SERIALS, BENCH_REFERENCE_SERIALS, BENCH_PAGE_SIZE.
// Memory is read two ways. The coordinator's: the live heap of the worker's isolate (its Durable Objects run in
// it), read over the V8 inspector right after a full collection, so garbage V8 has not yet collected is not
// counted. The process's: workerd's RSS from /proc, which also holds Miniflare's local D1 and R2 simulators and
// the allocators' caches; it rises through a run whatever the coordinator keeps (measured with the live heap flat
// at 19 MB, RSS still rose by 150 MB at 1M), so its figure only rules out growth in proportion to the run.
const SERIALS = Number(process.env.BENCH_SERIALS ?? 1_000_000);
const REFERENCE = Number(process.env.BENCH_REFERENCE_SERIALS ?? Math.max(1, Math.round(SERIALS / 10)));
const PAGE_SIZE = Number(process.env.BENCH_PAGE_SIZE ?? 1_000);
const CHANGED_EVERY = 10_000;
const SEED_CHUNK = 50_000;
const SAMPLE_MS = 200;
// A full collection holds the isolate for a few milliseconds: the live heap is read less often than the RSS.
const HEAP_SAMPLE_MS = 500;
// Heap: within a quarter of the smaller run's, flat after the middle, and well inside a Durable Object's 128 MB.
// RSS: a tenfold run in less than twice the memory (growth in proportion to the records would be several times).
const TARGETS = { heapRatio: 1.25, heapPlateau: 1.05, heapMb: 64, rssRatio: 2, releasedBytes: 4_096 } as const;
const MB = 2 ** 20;

interface MemoryMeter {
  pid: number;
  rssKb(): number;
  // Of the RSS: anonymous pages (heaps, native allocations) and file-backed pages (mapped files, SQLite's among them).
  anonKb(): number;
  fileKb(): number;
  /** Resets the kernel's peak RSS (VmHWM) to the current RSS, so the next read is the peak since. */
  resetPeak(): boolean;
  peakKb(): number;
}

// Miniflare's workerd is a child of this process (the only one: each part runs one worker at a time).
function workerdMeter(): MemoryMeter {
  const children = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  const pid = children.map(Number).find((candidate) => {
    try {
      const stat = readFileSync(`/proc/${candidate}/stat`, "utf8");
      // pid (comm) state ppid …: comm may hold spaces, so fields are read after its closing parenthesis.
      const [, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return Number(ppid) === process.pid && stat.includes("(workerd)");
    } catch {
      return false; // a process that ended while the list was read
    }
  });
  if (pid === undefined) throw new Error("no workerd child of the bench process");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  return {
    pid,
    rssKb: () => field("VmRSS"),
    anonKb: () => field("RssAnon"),
    fileKb: () => field("RssFile") + field("RssShmem"),
    peakKb: () => field("VmHWM"),
    resetPeak() {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, "5");
        return true;
      } catch {
        return false; // not allowed here: the sampled peak stands alone
      }
    },
  };
}

// Bytes of the coordinators' SQLite storage that hold data (dbstat), read beside workerd; a file removed since
// the listing holds nothing.
function coordinatorUsedBytes(persist: string): { used: number; files: number } | null {
  let used = 0;
  let files = 0;
  for (const file of coordinatorFiles(persist).filter((path) => path.endsWith(".sqlite"))) {
    if (!existsSync(file)) continue;
    const db = new DatabaseSync(file, { readOnly: true, timeout: 5_000 });
    try {
      used += (db.prepare("SELECT IFNULL(SUM(pgsize - unused), 0) AS used FROM dbstat").get() as { used: number }).used;
      files += 1;
    } catch (error) {
      // The release holds the file a moment longer than the busy timeout: it is still changing.
      if ((error as { errcode?: number }).errcode !== 5) throw error;
      return null;
    } finally {
      db.close();
    }
  }
  return { used, files };
}

// The release runs in the alarms after the run's end: measured once the coordinators' storage stops changing.
async function releasedCoordinators(persist: string, maxMs: number): Promise<{ used: number; files: number; waited_s: number }> {
  const started = Date.now();
  let last = coordinatorUsedBytes(persist);
  let stableSince = Date.now();
  while ((last === null || Date.now() - stableSince < 3_000) && Date.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const next = coordinatorUsedBytes(persist);
    if (next === null || last === null || next.used !== last.used || next.files !== last.files) stableSince = Date.now();
    last = next;
  }
  if (last === null) throw new Error(`the coordinators' storage was still busy ${maxMs / 1000} s after the run`);
  return { ...last, waited_s: round((Date.now() - started) / 1000, 1) };
}

function coordinatorFiles(persist: string): string[] {
  const root = join(persist, "do");
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => name.endsWith("-RunCoordinator"))
    .flatMap((dir) => readdirSync(join(root, dir)).map((file) => join(root, dir, file)))
    .filter((file) => !file.includes("metadata"));
}

// The coordinators' SQLite files (with their -wal and -shm) under <persist>/do/<script>-RunCoordinator/.
function coordinatorFilesBytes(persist: string): number {
  let bytes = 0;
  for (const file of coordinatorFiles(persist)) {
    try {
      bytes += statSync(file).size;
    } catch {
      // deleted between the listing and the stat: it holds nothing any more
    }
  }
  return bytes;
}

// The dataset in D1 as the upload would store it (record_json is the record as uploaded), 50,000 rows a statement.
async function seedDataset(worker: WranglerWorker, connectionId: string, serials: number): Promise<void> {
  const now = Date.now();
  for (let first = 0; first < serials; first += SEED_CHUNK) {
    const last = Math.min(serials, first + SEED_CHUNK) - 1;
    await worker.db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT ?2 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
         INSERT INTO dataset_records (connection_id, serial, record_json, updated_at)
         SELECT ?1, printf('SN-%07d', i),
                json_object('serial', printf('SN-%07d', i), 'status', CASE WHEN i % ?5 = 0 THEN 'online' ELSE 'offline' END, 'firmware', '1.0.0'),
                ?4
           FROM n`,
      )
      .bind(connectionId, first, last, now, CHANGED_EVERY)
      .run();
  }
}

function tenths(series: ReadonlyArray<[number, number]>): number[] {
  const end = series.at(-1)?.[0] ?? 0;
  const peaks = Array.from({ length: 10 }, () => 0);
  for (const [at, rss] of series) {
    const tenth = Math.min(9, Math.floor((at / Math.max(1, end)) * 10));
    peaks[tenth] = Math.max(peaks[tenth]!, rss);
  }
  return peaks.map((kb) => round(kb / 1024, 1));
}

interface Measured {
  serials: number;
  changed: number;
  run: FinishedRun;
  counters: Record<string, unknown>;
  exact: boolean;
  memory: {
    pid: number;
    before_mb: number;
    peak_mb: number;
    sampled_peak_mb: number;
    growth_mb: number;
    hwm_reset: boolean;
    /** The highest RSS sampled in each tenth of the run's wall time: flat once warm when memory is bounded. */
    rss_mb_by_tenth: number[];
    anon_mb_by_tenth: number[];
    file_mb_by_tenth: number[];
    heap_live_peak_mb: number;
    heap_live_mb_by_tenth: number[];
    heap_samples: number;
  };
  storage: {
    peak_file_bytes: number;
    end_file_bytes: number;
    /** null when the release held the file as the run ended. */
    end_used_bytes: number | null;
    released_used_bytes: number;
    released_files: number;
    released_file_bytes: number;
    release_waited_s: number;
  };
}

async function measureRun(serials: number): Promise<Measured> {
  // The inspector reads the V8 heap of the worker's isolate, where the coordinator runs, beside workerd's RSS.
  const bench = await startThroughputBench({ serials, pageSize: PAGE_SIZE, inspectorPort: 0 });
  try {
    const { credentialId, connectionId } = await bench.connection(fleetConfig(bench.fleet.url, "list"), { dataset: false });
    await seedDataset(bench.worker, connectionId, serials);
    const changed = Math.ceil(serials / CHANGED_EVERY);
    if (serialOf(serials - 1) !== bench.serials.at(-1)) throw new Error("the fleet's serials and the dataset's differ");

    const meter = workerdMeter();
    const inspector = await openInspector(bench.worker.mf, "bench-worker");
    const heapLive: Array<[number, number]> = [];
    let heapAsked = false;
    // Answered by the isolate between two of its turns; one question at a time.
    const sampleHeap = () => {
      if (heapAsked) return;
      heapAsked = true;
      const at = Date.now() - startedAt;
      void inspector
        .call("HeapProfiler.collectGarbage")
        .then(() => inspector.call<{ usedSize: number }>("Runtime.getHeapUsage"))
        .then(({ usedSize }) => {
          heapLive.push([at, usedSize / 1024]);
        })
        .finally(() => {
          heapAsked = false;
        });
    };
    const hwmReset = meter.resetPeak();
    const before = meter.rssKb();
    let sampled = before;
    let peakFiles = 0;
    const startedAt = Date.now();
    const series: Array<[number, number]> = [];
    const anonSeries: Array<[number, number]> = [];
    const fileSeries: Array<[number, number]> = [];
    const sample = () => {
      const rss = meter.rssKb();
      sampled = Math.max(sampled, rss);
      const at = Date.now() - startedAt;
      series.push([at, rss]);
      anonSeries.push([at, meter.anonKb()]);
      fileSeries.push([at, meter.fileKb()]);
      peakFiles = Math.max(peakFiles, coordinatorFilesBytes(bench.persist));
    };
    const sampler = setInterval(sample, SAMPLE_MS);
    const heapSampler = setInterval(sampleHeap, HEAP_SAMPLE_MS);
    let run: FinishedRun;
    try {
      run = await bench.run(credentialId);
    } finally {
      clearInterval(sampler);
      clearInterval(heapSampler);
    }
    sample();
    while (heapAsked) await new Promise((resolve) => setTimeout(resolve, 10));
    inspector.close();
    const peak = hwmReset ? meter.peakKb() : sampled;
    const endFiles = coordinatorFilesBytes(bench.persist);
    const endUsed = coordinatorUsedBytes(bench.persist)?.used ?? null;
    const released = await releasedCoordinators(bench.persist, 10 * 60_000);
    const job = run.jobs[0] ?? {};
    const counters = {
      in_scope: job.in_scope,
      processed: job.processed,
      updated: job.updated,
      skipped_no_change: job.skipped_no_change,
      failed: job.failed,
      missing_destination: job.missing_destination,
    };
    const exact = run.status === "completed" && job.processed === serials && job.updated === changed && job.skipped_no_change === serials - changed;
    return {
      serials,
      changed,
      run,
      counters,
      exact,
      memory: {
        pid: meter.pid,
        before_mb: round(before / 1024, 1),
        peak_mb: round(peak / 1024, 1),
        sampled_peak_mb: round(sampled / 1024, 1),
        growth_mb: round((peak - before) / 1024, 1),
        hwm_reset: hwmReset,
        rss_mb_by_tenth: tenths(series),
        // Where the RSS is: anonymous memory, and file-backed pages (the coordinator's SQLite file is storage).
        anon_mb_by_tenth: tenths(anonSeries),
        file_mb_by_tenth: tenths(fileSeries),
        // The worker isolate's live heap (after a full collection): what the coordinator holds.
        heap_live_peak_mb: round(Math.max(0, ...heapLive.map(([, kb]) => kb)) / 1024, 1),
        heap_live_mb_by_tenth: tenths(heapLive),
        heap_samples: heapLive.length,
      },
      storage: {
        peak_file_bytes: peakFiles,
        end_file_bytes: endFiles,
        end_used_bytes: endUsed,
        released_used_bytes: released.used,
        released_files: released.files,
        released_file_bytes: coordinatorFilesBytes(bench.persist),
        release_waited_s: released.waited_s,
      },
    };
  } finally {
    await bench.dispose();
  }
}

export async function measure(): Promise<Figure[]> {
  const reference = await measureRun(REFERENCE);
  console.log(JSON.stringify({ reference: { ...reference, run: { ...reference.run, jobs: undefined } } }));
  const full = await measureRun(SERIALS);
  console.log(JSON.stringify({ full: { ...full, run: { ...full.run, jobs: undefined } } }));
  const summary = (m: Measured) => ({
    serials: m.serials,
    changed: m.changed,
    status: m.run.status,
    wall_s: m.run.wall_s,
    records_per_s: Math.round(m.serials / Math.max(0.001, m.run.wall_s)),
    counters: m.counters,
    exact: m.exact,
    memory: m.memory,
    storage: m.storage,
  });
  const detail = {
    why: `live run, list lookup (pages of ${PAGE_SIZE}), dataset equal to the fleet but 1 in ${CHANGED_EVERY}: every record takes the full path, the destination sees the listing and a few PUTs`,
    full: summary(full),
    reference: summary(reference),
  };
  console.log(JSON.stringify(detail));
  const releasedBytes = full.storage.released_used_bytes;
  const exact = full.exact && reference.exact;
  const heapRatio = round(full.memory.heap_live_peak_mb / Math.max(0.1, reference.memory.heap_live_peak_mb), 3);
  const heapTenths = full.memory.heap_live_mb_by_tenth;
  // Bounded means flat once warm: the peak of the run's second half against its peak up to the middle.
  const heapPlateau = round(Math.max(...heapTenths.slice(5)) / Math.max(0.1, ...heapTenths.slice(0, 5)), 3);
  const rssRatio = round(full.memory.peak_mb / reference.memory.peak_mb, 3);
  const serials = SERIALS.toLocaleString("en-US");
  return [
    {
      figure: `${serials}-serial list run: the coordinator's live heap at its peak ÷ a ${REFERENCE.toLocaleString("en-US")}-serial run's`,
      value: heapRatio,
      unit: "×",
      target: `≤ ${TARGETS.heapRatio}`,
      met: heapRatio <= TARGETS.heapRatio && exact,
      detail,
    },
    {
      figure: `${serials}-serial list run: the coordinator's live heap at its peak (${reference.memory.heap_live_peak_mb} MB at ${REFERENCE.toLocaleString("en-US")})`,
      value: full.memory.heap_live_peak_mb,
      unit: "MB",
      target: `≤ ${TARGETS.heapMb} (a Durable Object has 128)`,
      met: full.memory.heap_live_peak_mb <= TARGETS.heapMb && exact,
    },
    {
      figure: `${serials}-serial list run: the coordinator's live heap in the second half ÷ up to the middle`,
      value: heapPlateau,
      unit: "×",
      target: `≤ ${TARGETS.heapPlateau}`,
      met: heapPlateau <= TARGETS.heapPlateau,
    },
    {
      figure: `${serials}-serial list run: workerd peak RSS, local simulators included (${full.memory.peak_mb} MB against ${reference.memory.peak_mb} MB)`,
      value: rssRatio,
      unit: "×",
      target: `≤ ${TARGETS.rssRatio}`,
      met: rssRatio <= TARGETS.rssRatio,
    },
    {
      figure: `${SERIALS.toLocaleString("en-US")}-serial list run: coordinator storage on disk at its peak`,
      value: round(full.storage.peak_file_bytes / MB, 1),
      unit: "MB",
      target: "released afterwards",
      met: full.storage.peak_file_bytes > 0 && releasedBytes <= TARGETS.releasedBytes,
    },
    {
      figure: `${SERIALS.toLocaleString("en-US")}-serial list run: coordinator storage after release`,
      value: releasedBytes,
      unit: "bytes",
      target: `≤ ${TARGETS.releasedBytes}`,
      met: releasedBytes <= TARGETS.releasedBytes,
    },
    {
      figure: `${SERIALS.toLocaleString("en-US")}-serial list run: counters exact (processed, updated, unchanged)`,
      value: full.exact ? 1 : 0,
      unit: full.exact ? "yes" : "no",
      target: "yes",
      met: full.exact,
    },
  ];
}
