import type { ConnectionConfig } from "../engine/contracts";
import type { DatasetScope } from "../ledger/run-scope";
import type { RunPlan, SourceProgress } from "./coordinator-store";

// Which records a job covers: the cursor it starts from and how its source is read. Pure; the caller reads
// the connection and the counts from the ledger.

export type ScopeRun = Pick<RunPlan, "type" | "reset" | "serial">;

// The cursor an incremental run reads from, or null for a complete read. A reset run ignores the cursor
// (the coordinator clears it in the same batch that starts the job); an unreadable cursor reads everything.
export function startCursor(run: ScopeRun, syncCursor: string | null): string | null {
  const cursor = run.type === "full" && !run.reset ? syncCursor : null;
  return cursor === null || Number.isNaN(Date.parse(cursor)) ? null : cursor;
}

// An HTTP source filtered by the cursor must know whether last run left failed serials to retry.
export function needsRetryCount(source: ConnectionConfig["source"], cursor: string | null): boolean {
  return cursor !== null && source.kind === "http" && source.updated_at_path !== undefined;
}

// When the job reads only what changed since its cursor: the cursor's moment (epoch ms), or null for a complete
// read. The cursor alone does not say it: an HTTP source without updated_at_path is read whole whatever the cursor.
export function incrementalSince(source: SourceProgress | null): number | null {
  if (source?.kind === "dataset") return source.scope.kind === "changed" ? source.scope.sinceMs : null;
  if (source?.kind === "http") return source.filter?.afterMs ?? null;
  return null;
}

export interface ScopePlan {
  source: SourceProgress;
  // Records in scope when known without reading: a dataset's are counted in the ledger by the caller.
  inScope: number | null;
}

export function planScope(run: ScopeRun, source: ConnectionConfig["source"], cursor: string | null, retriesPending: boolean): ScopePlan {
  if (run.type === "single") {
    return { source: { kind: "single", serial: run.serial ?? "", state: null, done: false }, inScope: 1 };
  }
  if (source.kind === "dataset") {
    const scope: DatasetScope = cursor === null ? { kind: "all" } : { kind: "changed", sinceMs: Date.parse(cursor) };
    return { source: { kind: "dataset", scope, after: "", done: false }, inScope: null };
  }
  const filtered = cursor !== null && source.updated_at_path !== undefined ? cursor : null;
  const retries = filtered !== null && retriesPending;
  // Retry serials may be older than the cursor, so with any of them the source is read whole and filtered here.
  const since = filtered !== null && !retries && source.since_param !== undefined ? filtered : null;
  return {
    source: { kind: "http", state: null, since, filter: filtered === null ? null : { afterMs: Date.parse(filtered), retries }, done: false },
    // Unknown until the first source page: its X-Total-Count, or the records counted as the pages arrive.
    inScope: null,
  };
}
