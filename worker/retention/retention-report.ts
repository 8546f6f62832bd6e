import type { LogExportDayView, RetentionPassView, RetentionResponse } from "../schemas/retention";
import { readConfigSettings, retentionDays } from "../ledger/config-settings";
import { listLogExports, type LogExportRow } from "../ledger/log-exports";
import { archiveDeletedOf, emptyDeletedCounts, listPasses, type RetentionPassRow } from "../ledger/retention";
import type { DeletedCounts } from "../schemas/retention-vocabulary";
import { DAY_MS, startOfUtcDay } from "../stats/time-range";
import { exportKeys } from "./day-export";
import { targetLabel } from "./export-target";
import type { PassProgress } from "./retention-pass";

export interface RetentionReportOptions {
  now: number;
  passesLimit: number;
  exportsLimit: number;
}

/** What Settings shows: the window in effect, the export's state per day, and what the passes removed. */
export async function buildRetentionReport(db: D1Database, options: RetentionReportOptions): Promise<RetentionResponse> {
  const [settings, passes, exports] = await Promise.all([
    readConfigSettings(db),
    listPasses(db, options.passesLimit),
    options.exportsLimit > 0 ? listLogExports(db, options.exportsLimit) : Promise.resolve([]),
  ]);
  const days = retentionDays(settings.retention);
  const views = passes.map(passView);
  const failing = exports.filter((row) => row.status === "failed").at(-1)?.day ?? null;
  const layout = settings.logExport.target === "none" ? null : exportKeys(settings.logExport.prefix, "YYYY-MM-DD");
  return {
    policy: {
      plan: settings.retention.plan,
      days,
      cutoff: new Date(startOfUtcDay(options.now) - days * DAY_MS).toISOString(),
    },
    log_export: {
      target: settings.logExport.target,
      destination: targetLabel(settings.logExport),
      key_layout: layout === null ? null : `${layout.jobs}, ${layout.logs(0).replace("000", "NNN")}, ${layout.archive("<job_id>/…")}, ${layout.manifest}`,
      failing_day: failing,
      days: exports.map(exportDayView),
    },
    running_pass: views.find((p) => p.status === "running") ?? null,
    last_finished_pass: views.find((p) => p.status !== "running") ?? null,
    passes: views,
  };
}

export function passView(row: RetentionPassRow): RetentionPassView {
  const progress = JSON.parse(row.progress_json) as Partial<PassProgress>;
  return {
    id: row.id,
    status: row.status,
    phase: progress.phase ?? "export",
    cutoff: iso(row.cutoff),
    purge_before: progress.purge_before == null ? null : iso(progress.purge_before),
    blocked_day: progress.blocked_day ?? null,
    deleted: { ...emptyDeletedCounts(), ...(JSON.parse(row.deleted_json) as Partial<DeletedCounts>) },
    archive_deleted: archiveDeletedOf(row),
    error: row.error,
    started_at: iso(row.started_at),
    finished_at: row.finished_at === null ? null : iso(row.finished_at),
    invocations: row.invocations,
    longest_statement_ms: row.longest_statement_ms,
    export_target: progress.export_target ?? null,
    exported_days: progress.exported_days ?? [],
  };
}

function exportDayView(row: LogExportRow): LogExportDayView {
  return {
    day: row.day,
    status: row.status,
    target: row.target,
    object_keys: row.object_keys_json === null ? [] : (JSON.parse(row.object_keys_json) as string[]),
    bytes: row.bytes,
    job_count: row.job_count,
    log_count: row.log_count,
    archive_objects: row.archive_objects,
    archive_bytes: row.archive_bytes,
    error: row.error,
    attempted_at: iso(row.attempted_at),
    exported_at: row.exported_at === null ? null : iso(row.exported_at),
  };
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
