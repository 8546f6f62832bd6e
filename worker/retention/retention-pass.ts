import type { Env } from "../env";
import { readConfigSettings, retentionDays } from "../ledger/config-settings";
import { newId } from "../ledger/ids";
import { hasActiveJobs, oldestJobFrom, succeededExportDays } from "../ledger/log-exports";
import {
  activeJobIdsCreatedBetween,
  archiveDeletedOf,
  claimPass,
  deleteAttemptsOfExpiredDeliveries,
  deleteExpiredDeliveries,
  deleteExpiredEvents,
  deleteExpiredRuns,
  deleteExpiredScheduleTicks,
  deleteJobs,
  deleteLogsOfJobs,
  deleteOutcomesOfJobs,
  emptyArchiveDeleted,
  emptyDeletedCounts,
  insertPassIfNoneRunning,
  latestPass,
  runningPass,
  savePassStatement,
  selectExpiredJobIds,
  type RetentionPassRow,
  type StatementResult,
} from "../ledger/retention";
import {
  PASS_PHASES,
  type ArchiveDeletedCounts,
  type DeletedCounts,
  type PassPhase,
  type PurgedTable,
  type RetentionStatus,
} from "../schemas/retention-vocabulary";
import { DAY_MS, startOfUtcDay, utcDay } from "../stats/time-range";
import { archiveJobId, deleteArchiveKeys, listArchiveDay, nextArchiveDay, R2_KEYS_PER_CALL } from "./archive-days";
import { exportDay } from "./day-export";
import { resolveExportTarget, type ExportTarget } from "./export-target";
import { errorMessage } from "../../shared/lang";
import { log } from "../observability/log";

export interface PassProgress {
  phase: PassPhase;
  /** Everything created before this goes: the cutoff, or the start of the first day whose export failed. */
  purge_before: number | null;
  blocked_day: string | null;
  export_error: string | null;
  export_target: string | null;
  exported_days: string[];
  /** The archive day being deleted and the last key handled in it; null between days. */
  archive_cursor: { day: string; after: string | null } | null;
  /** The last archive day this pass finished; the next one is found after it. */
  archive_purged_through: string | null;
}

export interface RetentionOptions {
  now?: () => number;
  /** Wall time this invocation may spend; the pass continues in the next one. */
  budgetMs?: number;
  /** The daily trigger starts a pass; the minute trigger only continues an unfinished one. */
  mayStart?: boolean;
  /** Jobs whose logs and outcomes are deleted together, then the jobs themselves. */
  jobBatch?: number;
  /** Most rows one DELETE may remove (logs, record outcomes, runs, events, …); halved while statements run slow. */
  rowBatch?: number;
  /** Archive keys listed and deleted per R2 call (at most 1000), and listed per page by the export. */
  archiveBatch?: number;
  /** Replaces the configured export target (tests and benchmarks); null turns export off. */
  target?: ExportTarget | null;
  fetch?: typeof fetch;
  logsPerFile?: number;
  logsPageSize?: number;
  jobsPageSize?: number;
}

export interface RetentionResult {
  status: RetentionStatus;
  passId: string | null;
  cutoff: number | null;
  purgeBefore: number | null;
  /** What this invocation removed; the pass row holds the running total. */
  deleted: DeletedCounts;
  totalDeleted: DeletedCounts;
  /** What this invocation removed from the R2 archive; the pass row holds the running total. */
  archiveDeleted: ArchiveDeletedCounts;
  totalArchiveDeleted: ArchiveDeletedCounts;
  longestStatementMs: number;
  exportedDays: string[];
  error: string | null;
}

const DEFAULTS = {
  budgetMs: 20_000,
  jobBatch: 200,
  rowBatch: 5_000,
  archiveBatch: R2_KEYS_PER_CALL,
  logsPerFile: 50_000,
  logsPageSize: 5_000,
  jobsPageSize: 1_000,
};
// A statement slower than this halves its batch; much faster doubles it back up to the configured size.
const TARGET_STATEMENT_MS = 250;
const MIN_ROW_BATCH = 50;
const LEASE_MARGIN_MS = 60_000;

/**
 * One invocation of the retention job: starts (daily) or continues (every minute) a pass that exports
 * each finished UTC day when export is configured, then deletes everything created before the purge
 * line in bounded statements. Running it again after it completed changes nothing.
 */
export async function runRetention(env: Env, options: RetentionOptions = {}): Promise<RetentionResult> {
  const db = env.LEDGER;
  const now = options.now ?? Date.now;
  const budgetMs = options.budgetMs ?? DEFAULTS.budgetMs;
  const started = now();
  const deadline = started + budgetMs;
  const result: RetentionResult = {
    status: "idle",
    passId: null,
    cutoff: null,
    purgeBefore: null,
    deleted: emptyDeletedCounts(),
    totalDeleted: emptyDeletedCounts(),
    archiveDeleted: emptyArchiveDeleted(),
    totalArchiveDeleted: emptyArchiveDeleted(),
    longestStatementMs: 0,
    exportedDays: [],
    error: null,
  };

  let pass = await runningPass(db);
  const settings = pass === null && !options.mayStart ? null : await readConfigSettings(db);
  if (pass === null) {
    if (!options.mayStart || settings === null) return result;
    const cutoff = startOfUtcDay(started) - retentionDays(settings.retention) * DAY_MS;
    const latest = await latestPass(db);
    if (latest && latest.status === "completed" && latest.cutoff === cutoff) {
      return {
        ...result,
        status: "up_to_date",
        passId: latest.id,
        cutoff,
        totalDeleted: JSON.parse(latest.deleted_json) as DeletedCounts,
        totalArchiveDeleted: archiveDeletedOf(latest),
      };
    }
    await insertPassIfNoneRunning(db, { id: newId("ret", started), cutoff, now: started, progress: freshProgress() });
    pass = await runningPass(db);
    if (pass === null) return result;
  }
  if (!(await claimPass(db, pass.id, now(), deadline + LEASE_MARGIN_MS))) {
    return { ...result, status: "busy", passId: pass.id, cutoff: pass.cutoff };
  }

  const worker = new PassWorker(env, pass, options, now, deadline, result);
  try {
    await worker.run(settings);
  } catch (err) {
    result.error = errorMessage(err);
    await worker.save({ error: `Interrupted: ${result.error}; the pass continues on the next trigger.`, releaseLease: true });
    throw err;
  }
  return result;
}

class PassWorker {
  private readonly db: D1Database;
  private progress: PassProgress;
  private readonly deleted: DeletedCounts;
  private readonly archiveDeleted: ArchiveDeletedCounts;
  private rowBatch: number;

  constructor(
    private readonly env: Env,
    private readonly pass: RetentionPassRow,
    private readonly options: RetentionOptions,
    private readonly now: () => number,
    private readonly deadline: number,
    private readonly result: RetentionResult,
  ) {
    this.db = env.LEDGER;
    this.deleted = { ...emptyDeletedCounts(), ...(JSON.parse(pass.deleted_json) as Partial<DeletedCounts>) };
    this.archiveDeleted = archiveDeletedOf(pass);
    const stored = JSON.parse(pass.progress_json) as Partial<PassProgress>;
    this.progress = { ...freshProgress(), ...stored };
    this.rowBatch = options.rowBatch ?? DEFAULTS.rowBatch;
    result.passId = pass.id;
    result.cutoff = pass.cutoff;
  }

  async run(settings: Awaited<ReturnType<typeof readConfigSettings>> | null): Promise<void> {
    if (this.progress.phase === "export") {
      const done = await this.exportPhase(settings ?? (await readConfigSettings(this.db)));
      if (!done) return this.pause();
    }
    const before = this.progress.purge_before ?? this.pass.cutoff;
    this.result.purgeBefore = before;
    while (this.progress.phase !== "done") {
      const finished = await this.purgePhase(this.progress.phase, before);
      if (!finished) return this.pause();
      this.progress = { ...this.progress, phase: nextPhase(this.progress.phase) };
      await this.save({});
    }
    const { blocked_day: blocked, export_error: exportError } = this.progress;
    const kept = `Nothing created on or after ${blocked} was purged; the export is retried on the next daily run.`;
    const error = blocked === null ? exportError : `${exportError ?? `The export of ${blocked} failed.`} ${kept}`;
    this.result.status = blocked === null ? "completed" : "failed";
    this.result.error = error;
    await this.save({ status: this.result.status, error, finishedAt: this.now(), releaseLease: true });
  }

  private async pause(): Promise<void> {
    this.result.status = "in_progress";
    await this.save({ releaseLease: true });
  }

  /** True once every finished day up to yesterday is exported, or a failure stopped the export. */
  private async exportPhase(settings: Awaited<ReturnType<typeof readConfigSettings>>): Promise<boolean> {
    const target =
      this.options.target !== undefined
        ? this.options.target
        : await resolveExportTarget(this.env, settings.logExport, this.options.fetch ? { fetch: this.options.fetch } : {});
    if (target === null) {
      this.progress = { ...this.progress, phase: "jobs", purge_before: this.pass.cutoff, export_target: null };
      await this.save({});
      return true;
    }
    this.progress = { ...this.progress, export_target: target.label };
    const today = startOfUtcDay(this.now());
    const oldest = await oldestJobFrom(this.db, 0);
    const exported = oldest === null ? new Set<string>() : await succeededExportDays(this.db, utcDay(oldest));
    let blocked: string | null = null;
    let cursor = oldest;
    while (cursor !== null && startOfUtcDay(cursor) < today) {
      const dayStart = startOfUtcDay(cursor);
      const day = utcDay(dayStart);
      if (!exported.has(day)) {
        // A recent day with jobs still running waits for them; a day past the cutoff cannot wait.
        if (dayStart >= this.pass.cutoff && (await hasActiveJobs(this.db, dayStart, dayStart + DAY_MS))) break;
        if (this.now() >= this.deadline) return false;
        const outcome = await exportDay(this.db, day, {
          target,
          archive: this.env.ARCHIVE,
          archivePageSize: this.options.archiveBatch ?? DEFAULTS.archiveBatch,
          now: this.now,
          deadline: this.deadline,
          jobsPageSize: this.options.jobsPageSize ?? DEFAULTS.jobsPageSize,
          logsPageSize: this.options.logsPageSize ?? DEFAULTS.logsPageSize,
          logsPerFile: this.options.logsPerFile ?? DEFAULTS.logsPerFile,
        });
        if (outcome.status === "out_of_time") return false;
        if (outcome.status === "failed") {
          blocked = day;
          this.progress = { ...this.progress, export_error: outcome.error };
          break;
        }
        this.result.exportedDays.push(day);
        this.progress = { ...this.progress, exported_days: [...this.progress.exported_days, day] };
      }
      cursor = await oldestJobFrom(this.db, dayStart + DAY_MS);
    }
    const blockedStart = blocked === null ? null : Date.parse(`${blocked}T00:00:00Z`);
    const purgeBefore = blockedStart !== null && blockedStart < this.pass.cutoff ? blockedStart : this.pass.cutoff;
    this.progress = {
      ...this.progress,
      phase: "jobs",
      purge_before: purgeBefore,
      blocked_day: blockedStart !== null && blockedStart < this.pass.cutoff ? blocked : null,
    };
    await this.save({});
    return true;
  }

  /** True when the phase has nothing left to delete; false when the time budget ran out first. */
  private async purgePhase(phase: PassPhase, before: number): Promise<boolean> {
    switch (phase) {
      case "export":
      case "done":
        return true;
      case "jobs":
        return this.purgeJobs(before);
      case "archive":
        return this.purgeArchive(before);
      case "runs":
        return this.drain("runs", (limit) => deleteExpiredRuns(this.db, before, limit));
      case "events":
        return this.drain("events", (limit) => deleteExpiredEvents(this.db, before, limit));
      case "deliveries":
        return this.purgeDeliveries(before);
      case "schedule_ticks":
        return this.drain("schedule_ticks", (limit) => deleteExpiredScheduleTicks(this.db, before, limit));
    }
  }

  private async purgeJobs(before: number): Promise<boolean> {
    const jobBatch = this.options.jobBatch ?? DEFAULTS.jobBatch;
    for (;;) {
      if (this.outOfTime()) return false;
      const selected = await selectExpiredJobIds(this.db, before, jobBatch);
      this.noteDuration(selected.durationMs);
      if (selected.ids.length === 0) return true;
      if (!(await this.drain("logs", (limit) => deleteLogsOfJobs(this.db, selected.ids, limit)))) return false;
      if (!(await this.drain("record_outcomes", (limit) => deleteOutcomesOfJobs(this.db, selected.ids, limit)))) return false;
      const jobs = await deleteJobs(this.db, selected.ids);
      this.count("jobs", jobs);
      await this.save({});
      // Only a writer adding lines to a finished job could cause this; stop rather than spin on it.
      if (jobs.changes === 0) {
        log.warn("retention: expired jobs kept gaining logs or outcomes; leaving them for the next pass", { job_ids: selected.ids.slice(0, 5) });
        return true;
      }
    }
  }

  /**
   * Deletes every archive object under jobs/<day>/ for each day before the purge line, a listed page at a
   * time, the position saved after each page. A still-active job keeps its objects, as it keeps its rows.
   */
  private async purgeArchive(before: number): Promise<boolean> {
    const bucket = this.env.ARCHIVE;
    const batch = Math.min(R2_KEYS_PER_CALL, this.options.archiveBatch ?? DEFAULTS.archiveBatch);
    for (;;) {
      if (this.outOfTime()) return false;
      const next = this.progress.archive_cursor === null ? await nextArchiveDay(bucket, this.progress.archive_purged_through, utcDay(before)) : null;
      const cursor = this.progress.archive_cursor ?? (next === null ? null : { day: next, after: null });
      if (cursor === null) return true;
      const { day } = cursor;
      const dayStart = Date.parse(`${day}T00:00:00Z`);
      const page = await listArchiveDay(bucket, day, cursor.after, batch);
      const active = page.objects.length === 0 ? new Set<string>() : await activeJobIdsCreatedBetween(this.db, dayStart, dayStart + DAY_MS);
      const doomed = page.objects.filter((o) => !active.has(archiveJobId(day, o.key) ?? ""));
      await deleteArchiveKeys(
        bucket,
        doomed.map((o) => o.key),
      );
      this.countArchive({ days: page.done ? 1 : 0, objects: doomed.length, bytes: doomed.reduce((sum, o) => sum + o.size, 0) });
      this.progress = page.done
        ? { ...this.progress, archive_cursor: null, archive_purged_through: day }
        : { ...this.progress, archive_cursor: { day, after: page.last } };
      await this.save({});
    }
  }

  private countArchive(counts: ArchiveDeletedCounts): void {
    for (const key of Object.keys(counts) as Array<keyof ArchiveDeletedCounts>) {
      this.archiveDeleted[key] += counts[key];
      this.result.archiveDeleted[key] += counts[key];
    }
  }

  // Attempts go first for the oldest deliveries; a delivery is deleted once it has none left.
  private async purgeDeliveries(before: number): Promise<boolean> {
    for (;;) {
      if (this.outOfTime()) return false;
      const deliveries = Math.max(1, Math.floor(this.rowBatch / 20));
      const attempts = await deleteAttemptsOfExpiredDeliveries(this.db, before, deliveries);
      this.count("delivery_attempts", attempts);
      const removed = await deleteExpiredDeliveries(this.db, before, deliveries);
      this.count("deliveries", removed);
      if (attempts.changes === 0 && removed.changes === 0) return true;
      await this.save({});
    }
  }

  /** Repeats a bounded delete until it removes less than its limit. */
  private async drain(table: PurgedTable, remove: (limit: number) => Promise<StatementResult>): Promise<boolean> {
    for (;;) {
      if (this.outOfTime()) return false;
      const limit = this.rowBatch;
      const outcome = await remove(limit);
      this.count(table, outcome);
      this.adapt(outcome.durationMs);
      if (outcome.changes < limit) return true;
    }
  }

  private count(table: PurgedTable, outcome: StatementResult): void {
    this.deleted[table] += outcome.changes;
    this.result.deleted[table] += outcome.changes;
    this.noteDuration(outcome.durationMs);
  }

  private noteDuration(ms: number): void {
    this.result.longestStatementMs = Math.max(this.result.longestStatementMs, ms);
  }

  private adapt(durationMs: number): void {
    const ceiling = this.options.rowBatch ?? DEFAULTS.rowBatch;
    if (durationMs > TARGET_STATEMENT_MS) this.rowBatch = Math.max(Math.min(MIN_ROW_BATCH, ceiling), Math.floor(this.rowBatch / 2));
    else if (durationMs < TARGET_STATEMENT_MS / 5) this.rowBatch = Math.min(ceiling, this.rowBatch * 2);
  }

  private outOfTime(): boolean {
    return this.now() >= this.deadline;
  }

  async save(extra: { status?: "completed" | "failed"; error?: string | null; finishedAt?: number; releaseLease?: boolean }): Promise<void> {
    this.result.totalDeleted = { ...this.deleted };
    this.result.totalArchiveDeleted = { ...this.archiveDeleted };
    await savePassStatement(this.db, this.pass.id, {
      deleted: this.deleted,
      archiveDeleted: this.archiveDeleted,
      progress: this.progress,
      longestStatementMs: this.result.longestStatementMs,
      ...extra,
    }).run();
  }
}

function freshProgress(): PassProgress {
  return {
    phase: "export",
    purge_before: null,
    blocked_day: null,
    export_error: null,
    export_target: null,
    exported_days: [],
    archive_cursor: null,
    archive_purged_through: null,
  };
}

function nextPhase(phase: PassPhase): PassPhase {
  const index = PASS_PHASES.indexOf(phase);
  return PASS_PHASES[Math.min(index + 1, PASS_PHASES.length - 1)] ?? "done";
}
