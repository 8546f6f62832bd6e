import type { JobSummary, RunSummary } from "../schemas/runs";
import { TERMINAL_STATUS } from "../schemas/vocabulary";
import type { LiveSnapshotRun, LiveUpdate } from "./protocol";

// A hub's own record of the runs published to it, in its SQLite storage: the latest message per run and per
// job with its sequence number. Snapshots are read from here (never from D1), so a hub answers the same
// after an eviction; finished runs stay a while (a late message about them is recognised as stale) and
// are then pruned, and the tables are capped, so storage stays bounded.

// How long a finished run is kept after its last message, and how long an active run may go unheard
// (its coordinator's finish lost while the hub was down) before it leaves the snapshot.
export const FINISHED_KEEP_MS = 10 * 60_000;
export const SILENT_ACTIVE_MS = 24 * 60 * 60_000;
// More runs than this (a runs feed with a backlog): the least recently heard are dropped first.
export const MAX_RUNS = 5_000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS live_runs (
    id TEXT PRIMARY KEY, seq INTEGER NOT NULL, active INTEGER NOT NULL, heard_at INTEGER NOT NULL, run_json TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS live_runs_heard ON live_runs (active, heard_at);
  CREATE TABLE IF NOT EXISTS live_jobs (
    id TEXT PRIMARY KEY, run_id TEXT NOT NULL, seq INTEGER NOT NULL, position INTEGER NOT NULL, job_json TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS live_jobs_run ON live_jobs (run_id, position, id);
`;

export class LiveHubStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
  }

  /** Keeps what the update says unless a newer message about the same run or job was kept; false: stale. */
  apply(update: LiveUpdate, now: number): boolean {
    if (update.type === "job") return this.keepJob(update.job, update.seq);
    const stored = this.sql.exec<{ seq: number }>("SELECT seq FROM live_runs WHERE id = ?", update.run.id).toArray()[0];
    if (stored !== undefined && stored.seq >= update.seq) return false;
    this.keepRun(update.run, update.seq, now);
    if (update.jobs !== undefined) {
      // The list replaces the hub's for this run; each job keeps newer progress it already holds.
      const listed = new Set(update.jobs.map((job) => job.id));
      for (const { id } of this.sql.exec<{ id: string }>("SELECT id FROM live_jobs WHERE run_id = ?", update.run.id).toArray()) {
        if (!listed.has(id)) this.sql.exec("DELETE FROM live_jobs WHERE id = ?", id);
      }
      for (const job of update.jobs) this.keepJob(job, update.seq);
    }
    return true;
  }

  /** The active runs, oldest first, with their jobs in execution order when `withJobs`. */
  activeRuns(withJobs: boolean): LiveSnapshotRun[] {
    const runs = this.sql
      .exec<{ run_json: string }>("SELECT run_json FROM live_runs WHERE active = 1 ORDER BY id")
      .toArray()
      .map((row) => JSON.parse(row.run_json) as RunSummary);
    if (!withJobs) return runs;
    return runs.map((run) => ({
      ...run,
      jobs: this.sql
        .exec<{ job_json: string }>("SELECT job_json FROM live_jobs WHERE run_id = ? ORDER BY position, id", run.id)
        .toArray()
        .map((row) => JSON.parse(row.job_json) as JobSummary),
    }));
  }

  /** Drops finished runs heard of before `now - FINISHED_KEEP_MS`, silent active ones, and any beyond MAX_RUNS. */
  prune(now: number): number {
    let dropped = this.sql.exec("DELETE FROM live_runs WHERE active = 0 AND heard_at < ?", now - FINISHED_KEEP_MS).rowsWritten;
    dropped += this.sql.exec("DELETE FROM live_runs WHERE active = 1 AND heard_at < ?", now - SILENT_ACTIVE_MS).rowsWritten;
    dropped += this.sql.exec(
      "DELETE FROM live_runs WHERE id IN (SELECT id FROM live_runs ORDER BY active, heard_at LIMIT max(0, (SELECT COUNT(*) FROM live_runs) - ?))",
      MAX_RUNS,
    ).rowsWritten;
    // Jobs whose run is gone, or was never heard of (a job message after its run was pruned).
    this.sql.exec("DELETE FROM live_jobs WHERE run_id NOT IN (SELECT id FROM live_runs)");
    return dropped;
  }

  private keepRun(run: RunSummary, seq: number, now: number): void {
    this.sql.exec(
      `INSERT INTO live_runs (id, seq, active, heard_at, run_json) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, active = excluded.active, heard_at = excluded.heard_at, run_json = excluded.run_json`,
      run.id,
      seq,
      TERMINAL_STATUS[run.status] ? 0 : 1,
      now,
      JSON.stringify(run),
    );
  }

  private keepJob(job: JobSummary, seq: number): boolean {
    const written = this.sql.exec(
      `INSERT INTO live_jobs (id, run_id, seq, position, job_json) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, position = excluded.position, job_json = excluded.job_json
         WHERE excluded.seq > live_jobs.seq`,
      job.id,
      job.run_id,
      seq,
      job.position,
      JSON.stringify(job),
    ).rowsWritten;
    return written > 0;
  }
}
