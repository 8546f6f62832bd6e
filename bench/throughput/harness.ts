/// <reference types="node" />
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLoopbackFleet, type LoopbackFleet } from "../support/loopback-fleet-thread";
import { startWranglerWorker, type WranglerWorker } from "../support/wrangler-worker";

// What every throughput part shares: the real worker with every wrangler.toml binding in workerd (through
// bench/support/throughput-worker.mjs, which adds the plain-fetch baseline), a loopback fleet with a set latency
// in its own thread, a connection on that fleet, and a run started and watched through the API as a client would.

export const LATENCY_MS = 10;
export const CONCURRENCY = 6;
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 1_000);
const RUN_TIMEOUT_MS = 60 * 60_000;
const UPLOAD_CHUNK = 5_000;

export const serialOf = (i: number): string => `SN-${String(i).padStart(7, "0")}`;
export const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PlainRequest {
  method: string;
  url: string;
  body?: string;
}

export interface PlainResult {
  wall_ms: number;
  // The `first` requests (a listing's pages, one after another).
  first_ms: number;
  requests: number;
  statuses: Record<string, number>;
}

export interface FinishedRun {
  id: string;
  status: string;
  /** From the run's own start to its finish, as the ledger records them: polling adds nothing. */
  wall_s: number;
  jobs: Array<Record<string, unknown>>;
}

export interface ThroughputBench {
  worker: WranglerWorker;
  fleet: LoopbackFleet;
  serials: string[];
  persist: string;
  /** The same-run baseline: these sequences sent by a bare fetch loop inside workerd. */
  // inObject: the loop runs inside a Durable Object, as the run's coordinator does.
  plain(sequences: PlainRequest[][], options?: { concurrency?: number; first?: PlainRequest[]; inObject?: boolean }): Promise<PlainResult>;
  /** The GETs of the fleet's listing, page by page, as a list-mode run reads it first. */
  listingRequests(): PlainRequest[];
  /** A credential (scheme none) and one connection with this config; the dataset gets every serial. */
  connection(config: Record<string, unknown>, options?: { dataset?: boolean }): Promise<{ credentialId: string; connectionId: string }>;
  run(credentialId: string, body?: Record<string, unknown>): Promise<FinishedRun>;
  /** Milliseconds and count per phase of the run's coordinator (RunCoordinator.phases()), read after the run. */
  phases(runId: string): Promise<Record<string, { ms: number; count: number }>>;
  dispose(): Promise<void>;
}

/** The loopback fleet's listing, per-serial fetch and update contracts, for a connection's config. */
export function fleetContracts(url: string) {
  return {
    list: {
      mode: "list",
      url: `${url}/devices`,
      format: "json",
      pagination: { style: "cursor", cursor_param: "cursor", next_cursor_path: "next_cursor" },
      records_path: "devices",
      serial_path: "serial",
    },
    perSerial: { mode: "per_serial", url_template: `${url}/devices/{serial}`, format: "json", record_path: "device", serial_path: "serial" },
    put: { method: "PUT", url_template: `${url}/devices/{serial}`, formatter: "json" },
    mapping: [
      { source: "status", destination: "status" },
      { source: "firmware", destination: "firmware" },
    ],
    // The most a connection allows, and more than CONCURRENCY requests at LATENCY_MS can reach (600/s).
    limits: { requests_per_second: 1_000, concurrency: CONCURRENCY, timeout_ms: 10_000, retry_attempts: 0, stop_on_failure: false },
  };
}

/** A dataset connection on the fleet: its listing or per-serial fetch, one PUT per changed record, the harness's limits. */
export function fleetConfig(url: string, fetch: "list" | "perSerial", limits: Record<string, unknown> = {}): Record<string, unknown> {
  const contracts = fleetContracts(url);
  return {
    source: { kind: "dataset" },
    fetch: contracts[fetch],
    update: contracts.put,
    mapping: contracts.mapping,
    limits: { ...contracts.limits, ...limits },
  };
}

export async function startThroughputBench(options: {
  serials: number;
  latencyMs?: number;
  pageSize?: number;
  /** Added to a bulk request's latency per record it holds (loopback-fleet.mjs). */
  bulkRecordMs?: number;
  // workerd's V8 inspector, for a part that profiles the worker (bench/support/cpu-profile.ts).
  inspectorPort?: number;
  // The fleet answers 429 to a request arriving while this many are being answered.
  maxInFlight?: number;
}): Promise<ThroughputBench> {
  const persist = mkdtempSync(join(tmpdir(), "throughput-bench-"));
  const serials = Array.from({ length: options.serials }, (_, i) => serialOf(i));
  const fleet = await startLoopbackFleet(serials, {
    latencyMs: options.latencyMs ?? LATENCY_MS,
    pageSize: options.pageSize ?? 1_000,
    ...(options.bulkRecordMs === undefined ? {} : { bulkRecordMs: options.bulkRecordMs }),
    ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
  });
  const worker = await startWranglerWorker({
    persist,
    entry: "bench/support/throughput-worker.mjs",
    durableObjects: { BENCH_PLAIN: "BenchPlainLoop" },
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
    // Development rules for outbound URLs: plain http to the loopback fleet is allowed. BENCH_TUNING (JSON,
    // coordinator-config.ts keys) changes slice or checkpoint sizes for a diagnosis without touching worker code.
    vars: {
      ENVIRONMENT: "development",
      SANDBOX: "off",
      DEMO_SEED: "off",
      ...(process.env.BENCH_TUNING ? { COORDINATOR_TUNING: process.env.BENCH_TUNING } : {}),
    },
  });

  return {
    worker,
    fleet,
    serials,
    persist,
    async plain(sequences, { concurrency = CONCURRENCY, first = [], inObject = false } = {}) {
      const res = await worker.mf.dispatchFetch(`http://localhost/__bench/plain${inObject ? "?in=object" : ""}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ concurrency, sequences, first }),
      });
      if (!res.ok) throw new Error(`plain baseline: ${res.status} ${await res.text()}`);
      return (await res.json()) as PlainResult;
    },
    listingRequests() {
      const pageSize = options.pageSize ?? 1_000;
      return Array.from({ length: Math.max(1, Math.ceil(serials.length / pageSize)) }, (_, page) => ({
        method: "GET",
        url: page === 0 ? `${fleet.url}/devices` : `${fleet.url}/devices?cursor=${page * pageSize}`,
      }));
    },
    async connection(config, { dataset = true } = {}) {
      const credential = await worker.api<{ id: string }>("POST", "/api/credentials", { name: `Throughput bench ${Date.now()}`, scheme: "none" });
      const connection = await worker.api<{ id: string }>("POST", "/api/connections", {
        credential_id: credential.id,
        name: `Loopback fleet ${Date.now()}`,
        dry_run: false,
        config,
      });
      for (let first = 0; dataset && first < serials.length; first += UPLOAD_CHUNK) {
        const records = serials.slice(first, first + UPLOAD_CHUNK).map((serial) => ({ serial, status: "online", firmware: "1.0.0" }));
        await worker.api("POST", `/api/connections/${connection.id}/records?mode=${first === 0 ? "replace" : "merge"}`, records);
      }
      return { credentialId: credential.id, connectionId: connection.id };
    },
    async run(credentialId, body = {}) {
      const requested = Date.now();
      const run = await worker.api<{ id: string }>("POST", "/api/runs", { credential_id: credentialId, type: "full", mode: "live", ...body });
      for (;;) {
        const detail = await worker.api<{ status: string; started_at: string | null; finished_at: string | null; jobs: Array<Record<string, unknown>> }>(
          "GET",
          `/api/runs/${run.id}`,
        );
        if (detail.finished_at !== null && ["completed", "failed", "canceled"].includes(detail.status)) {
          const wall_s = (Date.parse(detail.finished_at) - (detail.started_at === null ? requested : Date.parse(detail.started_at))) / 1000;
          return { id: run.id, status: detail.status, wall_s, jobs: detail.jobs };
        }
        if (Date.now() - requested > RUN_TIMEOUT_MS) throw new Error(`run ${run.id} still ${detail.status} after ${RUN_TIMEOUT_MS / 60_000} min`);
        await sleep(POLL_MS);
      }
    },
    async phases(runId) {
      const res = await worker.mf.dispatchFetch(`http://localhost/__bench/phases?run=${encodeURIComponent(runId)}`);
      if (!res.ok) throw new Error(`phases: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, { ms: number; count: number }>;
    },
    async dispose() {
      await worker.dispose();
      await fleet.close();
      rmSync(persist, { recursive: true, force: true });
    },
  };
}

/** The mean number of requests the destination had in flight over a wall time. */
export function meanInFlight(busyMs: number, wallMs: number): number {
  return wallMs <= 0 ? 0 : round(busyMs / wallMs);
}
