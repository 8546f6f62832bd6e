import type { Schemas } from "../../cli/src/api-client";
import type { Io, LiveSocket } from "../../cli/src/io";

type RunDetail = Schemas["RunDetail"];
type JobSummary = Schemas["JobSummary"];
type ConnectionSummary = Schemas["ConnectionSummary"];

// API shapes as the generated client types them, with what a test does not care about filled in.

export function makeJob(overrides: Partial<JobSummary> = {}): JobSummary {
  return {
    id: "job_1",
    run_id: "run_1",
    connection_id: "conn_1",
    connection_name: "Device status",
    connection_version: 1,
    position: 0,
    mode: "dry",
    status: "running",
    in_scope: 500,
    incremental_since: null,
    processed: 0,
    would_update: 0,
    updated: 0,
    skipped_rule: 0,
    skipped_no_change: 0,
    missing_source: 0,
    missing_destination: 0,
    failed: 0,
    failed_records: 0,
    status_detail: null,
    drifted: 0,
    verified: 0,
    verify_mismatch: 0,
    bytes_sent: 0,
    bytes_received: 0,
    error: null,
    diagnoses: [],
    created_at: "2026-12-06T07:00:00.000Z",
    started_at: "2026-12-06T07:00:01.000Z",
    finished_at: null,
    duration_ms: null,
    waiting: null,
    eta: null,
    ...overrides,
  } as JobSummary;
}

export function makeConnection(overrides: Partial<ConnectionSummary> = {}): ConnectionSummary {
  return {
    id: "conn_1",
    name: "Device status",
    credential_id: "cred_1",
    credential_name: "Fleet API",
    position: 1,
    enabled: true,
    dry_run: false,
    debug: false,
    schedule: "0 * * * *",
    version: 3,
    updated_at: "2026-12-06T07:00:00.000Z",
    freshness_sla_minutes: null,
    freshness: {
      state: "on_time",
      last_success_at: "2026-12-06T07:00:05.000Z",
      expected_by: "2026-12-06T08:10:00.000Z",
      overdue_at: "2026-12-06T09:10:00.000Z",
      sla_minutes: null,
    },
    paused: null,
    alerts_muted_until: null,
    ...overrides,
  };
}

export function makeRun(overrides: Partial<RunDetail> = {}): RunDetail {
  return {
    id: "run_1",
    credential_id: "cred_1",
    credential_name: "Demo fleet",
    type: "full",
    serial: null,
    mode: "dry",
    trigger: "manual",
    requested_by: "ci",
    status: "running",
    connection_ids: null,
    reset: false,
    rerun_of: null,
    plan_run_id: null,
    connection_count: 1,
    connections_succeeded: 0,
    connections_failed: 0,
    failed_records: 0,
    status_detail: null,
    cancel_requested_at: null,
    created_at: "2026-12-06T07:00:00.000Z",
    started_at: "2026-12-06T07:00:01.000Z",
    finished_at: null,
    duration_ms: null,
    eta: null,
    waiting: null,
    jobs: [makeJob()],
    ...overrides,
  } as RunDetail;
}

// A WebSocket the test speaks for: what the CLI opened, and messages sent to it by hand.
export class FakeSocket implements LiveSocket {
  closed = false;
  readonly #listeners: Array<(event: { data: unknown }) => void> = [];

  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}

  addEventListener(type: string, listener: (event: { data: unknown }) => void): void {
    if (type === "message") this.#listeners.push(listener);
  }

  send(message: unknown): void {
    for (const listener of this.#listeners) listener({ data: JSON.stringify(message) });
  }

  close(): void {
    this.closed = true;
  }
}

export interface RecordedIo extends Io {
  out: string;
  err: string;
  sleeps: number[];
  // The clock now() reads: moved by each sleep, and by a test that makes the API slow.
  clock: number;
}

// The CLI's Io over the real fetch, printing into strings; sleeps are recorded, move the clock and return at once.
export function recordedIo(env: Record<string, string> = {}, files: Record<string, string> = {}): RecordedIo {
  const io: RecordedIo = {
    out: "",
    err: "",
    sleeps: [],
    clock: 0,
    env,
    stdout: (text) => void (io.out += text),
    stderr: (text) => void (io.err += text),
    fetch: (request) => fetch(request),
    sleep: async (ms) => {
      io.sleeps.push(ms);
      io.clock += ms;
    },
    now: () => io.clock,
    readText: async (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`no file ${path} in the test`);
      return text;
    },
  };
  return io;
}
