import type { ConnectionConfig } from "../../../worker/engine/contracts";
import type { ReadRecord } from "../../../worker/engine/paged-reader";
import type { SourcePage } from "../../../worker/engine/source-reader";
import type { JobCheckpoint, JobProgress, SourceProgress } from "../../../worker/runs/coordinator-store";
import type { RecordOutcome } from "../../../worker/runs/slice-executor";
import { DEMO_CONNECTIONS } from "../../../worker/sandbox/demo-connections";

// Plain values for the runs' pure pieces: a job's checkpoint, a record's outcome, a source page.

// The demo's JSON and XML connections read a dataset; its bulk one reads a paged HTTP source.
export function makeConfig(kind: "dataset" | "http" = "dataset", change: (config: ConnectionConfig) => void = () => undefined): ConnectionConfig {
  const config = structuredClone(DEMO_CONNECTIONS.find((c) => c.config.source.kind === kind)!.config);
  change(config);
  return config;
}

export type HttpSource = Extract<ConnectionConfig["source"], { kind: "http" }>;

export function makeHttpSource(overrides: Partial<HttpSource> = {}): HttpSource {
  return { ...(makeConfig("http").source as HttpSource), ...overrides };
}

export function makeProgress(overrides: Partial<JobProgress> = {}): JobProgress {
  return {
    phase: "records",
    started_at: 1_000,
    config: makeConfig(),
    version: 1,
    debug: false,
    source: null,
    listing: null,
    cursor: null,
    max_seen_ms: null,
    finish: null,
    ...overrides,
  };
}

let jobs = 0;
export function makeCheckpoint(overrides: { status?: JobCheckpoint["status"]; name?: string; progress?: Partial<JobProgress> } = {}): JobCheckpoint {
  jobs += 1;
  return {
    plan: {
      job_id: `job_${jobs}`,
      connection_id: `conn_${jobs}`,
      connection_name: overrides.name ?? `Connection ${jobs}`,
      position: jobs,
      mode: "live",
      created_at: 0,
    },
    status: overrides.status ?? "pending",
    progress: makeProgress(overrides.progress),
  };
}

export function makeOutcome(overrides: Partial<RecordOutcome> = {}): RecordOutcome {
  return {
    ord: 0,
    serial: "DEV-00001",
    action: "updated",
    changes: [],
    http_status: null,
    payload_excerpt: null,
    error: null,
    hint: null,
    transient: false,
    reason: null,
    journaled: false,
    confirmed: false,
    differences: null,
    ...overrides,
  };
}

export type PagedProgress = Extract<SourceProgress, { kind: "http" }>;

export function makePagedProgress(overrides: Partial<PagedProgress> = {}): PagedProgress {
  return { kind: "http", state: null, since: null, filter: null, done: false, ...overrides };
}

const NEXT = { page: { position: { style: "page" as const, page: 2 }, pages_read: 1, last_signature: null }, since: null };

export function makePage(records: ReadRecord[], overrides: { last?: boolean; total?: number | null; unreadable?: string[] } = {}): SourcePage {
  return {
    records,
    unreadable: (overrides.unreadable ?? []).map((reason, index) => ({ index, reason, excerpt: "{}" })),
    total: overrides.total ?? null,
    nextState: overrides.last === false ? NEXT : null,
    fetch: { url: "http://localhost/sandbox/source?page=1", status: 200, attempts: 1, bytes_sent: 0, bytes_received: 0, duration_ms: 1 },
  };
}

export function sourceRecord(serial: string, updatedAt?: string): ReadRecord {
  return updatedAt === undefined ? { serial, record: { serial } } : { serial, record: { serial, updated_at: updatedAt }, updatedAt };
}
