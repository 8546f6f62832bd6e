import { api, asApiError, isAbort, type ApiClient, type ApiError } from "../lib/api";
import { countersOf, type Counters } from "../lib/progress";
import type { JobSummary, RecordAction, RunDetail, RunSummary } from "../lib/run-types";
import { readComparedOutcomes } from "./compare-outcomes";
import { runs } from "./runs.svelte";

// Compare two runs, typically a dry run and the live run after it: counters per connection side by side,
// and the serials whose outcome differs ("validate dry run behavior over time").

export interface ConnectionPair {
  connectionId: string;
  name: string;
  a: JobSummary | null;
  b: JobSummary | null;
  countersA: Counters | null;
  countersB: Counters | null;
}

export interface OutcomeDifference {
  connectionId: string;
  connectionName: string;
  serial: string;
  a: RecordAction | null;
  b: RecordAction | null;
}

// A dry run's "would update" and a live run's "updated" are the same outcome (the seed's "dry run never lies"),
// and so is a write read back as sent. A Verify Mismatch or a Drifted serial is listed: it did not go as planned.
const SAME_OUTCOME: Partial<Record<RecordAction, RecordAction>> = { would_update: "updated", verified: "updated" };

export function sameOutcome(a: RecordAction | null, b: RecordAction | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  const canonical = (action: RecordAction) => SAME_OUTCOME[action] ?? action;
  return canonical(a) === canonical(b);
}

export function pairConnections(a: RunDetail, b: RunDetail): ConnectionPair[] {
  const pairs = new Map<string, ConnectionPair>();
  const order: string[] = [];
  for (const [side, run] of [
    ["a", a],
    ["b", b],
  ] as const) {
    for (const job of run.jobs) {
      let pair = pairs.get(job.connection_id);
      if (!pair) {
        pair = { connectionId: job.connection_id, name: job.connection_name, a: null, b: null, countersA: null, countersB: null };
        pairs.set(job.connection_id, pair);
        order.push(job.connection_id);
      }
      pair[side] = job;
      if (side === "a") pair.countersA = countersOf([job]);
      else pair.countersB = countersOf([job]);
    }
  }
  return order.flatMap((id) => pairs.get(id) ?? []);
}

// Serials present on either side whose actions differ; a serial missing on one side differs too.
export function diffOutcomes(
  pair: Pick<ConnectionPair, "connectionId" | "name">,
  a: ReadonlyMap<string, RecordAction>,
  b: ReadonlyMap<string, RecordAction>,
): OutcomeDifference[] {
  const serials = new Set([...a.keys(), ...b.keys()]);
  const differences: OutcomeDifference[] = [];
  for (const serial of [...serials].sort()) {
    const left = a.get(serial) ?? null;
    const right = b.get(serial) ?? null;
    if (!sameOutcome(left, right)) {
      differences.push({ connectionId: pair.connectionId, connectionName: pair.name, serial, a: left, b: right });
    }
  }
  return differences;
}

// A guard against walking a huge history in the browser; the comparison says when it stopped early.
const MAX_RECORDS_PER_JOB = 50_000;

export type CompareLoad =
  { kind: "idle" } | { kind: "loading" } | { kind: "ready"; a: RunDetail; b: RunDetail; pairs: ConnectionPair[] } | { kind: "failed"; error: ApiError };

export type DiffLoad =
  | { kind: "idle" }
  | { kind: "loading"; read: number }
  | { kind: "ready"; differences: OutcomeDifference[]; read: number; truncated: boolean }
  | { kind: "failed"; error: ApiError };

export class CompareState {
  runs: CompareLoad = $state({ kind: "idle" });
  diff: DiffLoad = $state({ kind: "idle" });
  #controller: AbortController | null = null;
  #client: Pick<ApiClient, "run" | "jobRecords">;

  constructor(client: Pick<ApiClient, "run" | "jobRecords"> = api) {
    this.#client = client;
  }

  async load(aId: string, bId: string): Promise<void> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    this.runs = { kind: "loading" };
    this.diff = { kind: "idle" };
    try {
      const [a, b] = await Promise.all([this.#client.run(aId, controller.signal), this.#client.run(bId, controller.signal)]);
      if (controller.signal.aborted) return;
      runs.remember(a);
      runs.remember(b);
      const pairs = pairConnections(a, b);
      this.runs = { kind: "ready", a, b, pairs };
      await this.#diff(pairs, controller);
    } catch (error) {
      if (isAbort(error) || controller.signal.aborted) return;
      if (this.runs.kind === "ready") this.diff = { kind: "failed", error: asApiError(error) };
      else this.runs = { kind: "failed", error: asApiError(error) };
    }
  }

  stop(): void {
    this.#controller?.abort();
    this.#controller = null;
  }

  async #diff(pairs: readonly ConnectionPair[], controller: AbortController): Promise<void> {
    let read = 0;
    let truncated = false;
    this.diff = { kind: "loading", read };
    const differences: OutcomeDifference[] = [];
    for (const pair of pairs) {
      const outcomes = await readComparedOutcomes(this.#client, pair.a, pair.b, {
        signal: controller.signal,
        maxRecordsPerJob: MAX_RECORDS_PER_JOB,
        onRead: (records) => {
          read += records;
          this.diff = { kind: "loading", read };
        },
      });
      if (controller.signal.aborted) return;
      truncated ||= outcomes.truncated;
      differences.push(...diffOutcomes(pair, outcomes.a, outcomes.b));
    }
    this.diff = { kind: "ready", differences, read, truncated };
  }
}

// Recent runs to pick from, newest first.
export async function recentRuns(signal: AbortSignal): Promise<RunSummary[]> {
  const page = await api.runs({}, { limit: 100 }, signal);
  runs.rememberAll(page.data);
  return page.data;
}
