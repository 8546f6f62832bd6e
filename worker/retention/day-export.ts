import {
  readJobsPage,
  readLogExport,
  readLogsPage,
  writeLogExport,
  type ExportJobRow,
  type ExportLogRow,
  type JobCursor,
  type LogCursor,
} from "../ledger/log-exports";
import { jobCountersOf } from "../ledger/run-rows";
import { DAY_MS } from "../stats/time-range";
import { keyWithinDay, listArchiveDay } from "./archive-days";
import type { ExportTarget } from "./export-target";
import { gzipNdjson } from "./ndjson-gzip";
import { errorMessage } from "../../shared/lang";

export const EXPORT_FORMAT = "outbound-sync.log-export/v1";
const GZIP_TYPE = "application/gzip";

export interface DayExportOptions {
  target: ExportTarget;
  /** The R2 archive: the day's objects under jobs/<day>/ are copied as they are, one at a time. */
  archive: R2Bucket;
  /** Archive keys listed per page (at most 1000); progress is saved after each page. */
  archivePageSize: number;
  now: () => number;
  /** No new file is started after this time; the day continues from its last written file next time. */
  deadline: number;
  jobsPageSize: number;
  logsPageSize: number;
  logsPerFile: number;
}

export type DayExportResult = { status: "succeeded" } | { status: "failed"; error: string } | { status: "out_of_time" };

export interface ExportedFile {
  key: string;
  kind: "jobs" | "logs" | "manifest";
  lines: number;
  bytes: number;
}

interface DayProgress {
  stage: "jobs" | "logs" | "archive" | "manifest";
  files: ExportedFile[];
  logCursor: LogCursor | null;
  jobCount: number;
  logCount: number;
  /** The last archive key copied; the archive is counted, not listed, since a day may hold thousands. */
  archiveAfter: string | null;
  archiveObjects: number;
  archiveBytes: number;
}

/**
 * `<prefix>YYYY-MM-DD/jobs.ndjson.gz`, `…/logs-000.ndjson.gz`, …, the archive's objects as
 * `…/archive/<job_id>/<object>`, and `…/manifest.json` last.
 */
export function exportKeys(prefix: string, day: string) {
  const base = `${prefix}${day}/`;
  return {
    jobs: `${base}jobs.ndjson.gz`,
    logs: (chunk: number) => `${base}logs-${String(chunk).padStart(3, "0")}.ndjson.gz`,
    archiveRoot: `${base}archive/`,
    archive: (withinDay: string) => `${base}archive/${withinDay}`,
    manifest: `${base}manifest.json`,
  };
}

/**
 * Writes one UTC day to the target: its jobs (those created that day) from D1, the log lines D1 still
 * holds for them (jobs from before the archive), then a copy of every archive object under jobs/<day>/.
 * Progress is saved after every file and archive page, so a day larger than one invocation continues
 * where it stopped, and a failed write is retried from the object that failed.
 */
export async function exportDay(db: D1Database, day: string, options: DayExportOptions): Promise<DayExportResult> {
  const { target } = options;
  const since = Date.parse(`${day}T00:00:00Z`);
  const until = since + DAY_MS;
  const keys = exportKeys(target.prefix, day);
  const attemptedAt = options.now();

  const existing = await readLogExport(db, day);
  if (existing?.status === "succeeded") return { status: "succeeded" };
  let progress: DayProgress = freshProgress();
  if (existing?.progress_json && existing.target === target.label) {
    progress = { ...freshProgress(), ...(JSON.parse(existing.progress_json) as Partial<DayProgress>) };
  }

  const save = (status: "pending" | "failed" | "succeeded", error: string | null) =>
    writeLogExport(db, {
      day,
      status,
      target: target.label,
      objectKeys: progress.files.map((f) => f.key),
      bytes: progress.files.reduce((sum, f) => sum + f.bytes, 0),
      jobCount: progress.jobCount,
      logCount: progress.logCount,
      archiveObjects: progress.archiveObjects,
      archiveBytes: progress.archiveBytes,
      error,
      progress: status === "succeeded" ? null : progress,
      attemptedAt,
      exportedAt: status === "succeeded" ? options.now() : null,
    });

  try {
    if (progress.stage === "jobs") {
      const jobs: unknown[] = [];
      let cursor: JobCursor | null = null;
      for (;;) {
        const page = await readJobsPage(db, since, until, cursor, options.jobsPageSize);
        for (const row of page) jobs.push(jobLine(row));
        const last = page.at(-1);
        if (!last || page.length < options.jobsPageSize) break;
        cursor = { created_at: last.created_at, id: last.id };
      }
      const body = await gzipNdjson(jobs);
      await target.put(keys.jobs, body, GZIP_TYPE);
      const file: ExportedFile = { key: keys.jobs, kind: "jobs", lines: jobs.length, bytes: body.byteLength };
      progress = { ...progress, stage: "logs", jobCount: jobs.length, files: [file] };
      await save("pending", null);
    }

    while (progress.stage === "logs") {
      if (options.now() >= options.deadline) {
        await save("pending", null);
        return { status: "out_of_time" };
      }
      const lines: unknown[] = [];
      let cursor = progress.logCursor;
      let finished = false;
      while (lines.length < options.logsPerFile) {
        const want = Math.min(options.logsPageSize, options.logsPerFile - lines.length);
        const page = await readLogsPage(db, since, until, cursor, want);
        for (const row of page) lines.push(logLine(row));
        const last = page.at(-1);
        if (last) cursor = { job_id: last.job_id, seq: last.seq };
        if (page.length < want) {
          finished = true;
          break;
        }
      }
      if (lines.length > 0) {
        const chunk = progress.files.filter((f) => f.kind === "logs").length;
        const body = await gzipNdjson(lines);
        await target.put(keys.logs(chunk), body, GZIP_TYPE);
        progress = {
          ...progress,
          logCursor: cursor,
          logCount: progress.logCount + lines.length,
          files: [...progress.files, { key: keys.logs(chunk), kind: "logs", lines: lines.length, bytes: body.byteLength }],
        };
      }
      if (finished) progress = { ...progress, stage: "archive" };
      await save("pending", null);
    }

    while (progress.stage === "archive") {
      const page = await listArchiveDay(options.archive, day, progress.archiveAfter, options.archivePageSize);
      for (const listed of page.objects) {
        if (options.now() >= options.deadline) {
          await save("pending", null);
          return { status: "out_of_time" };
        }
        const within = keyWithinDay(day, listed.key);
        const object = within === null ? null : await options.archive.get(listed.key);
        // Listed then gone: only a purge deletes archive objects, and it never runs ahead of this export.
        if (object === null || within === null) throw new Error(`The archive object ${listed.key} disappeared while it was being exported.`);
        await target.copy(keys.archive(within), object);
        progress = { ...progress, archiveAfter: listed.key, archiveObjects: progress.archiveObjects + 1, archiveBytes: progress.archiveBytes + object.size };
      }
      if (page.done) progress = { ...progress, stage: "manifest" };
      await save("pending", null);
    }

    const manifest = {
      format: EXPORT_FORMAT,
      day,
      exported_at: new Date(options.now()).toISOString(),
      job_count: progress.jobCount,
      log_count: progress.logCount,
      files: progress.files,
      archive: { prefix: keys.archiveRoot, objects: progress.archiveObjects, bytes: progress.archiveBytes },
    };
    const manifestBody = new TextEncoder().encode(JSON.stringify(manifest, null, 2));
    await target.put(keys.manifest, manifestBody, "application/json");
    progress = { ...progress, files: [...progress.files, { key: keys.manifest, kind: "manifest", lines: 0, bytes: manifestBody.byteLength }] };
    await save("succeeded", null);
    return { status: "succeeded" };
  } catch (err) {
    const error = `Export of ${day} to ${target.label} failed: ${errorMessage(err)}`;
    await save("failed", error);
    return { status: "failed", error };
  }
}

function freshProgress(): DayProgress {
  return { stage: "jobs", files: [], logCursor: null, jobCount: 0, logCount: 0, archiveAfter: null, archiveObjects: 0, archiveBytes: 0 };
}

function iso(time: number | null): string | null {
  return time === null ? null : new Date(time).toISOString();
}

function jobLine(row: ExportJobRow) {
  return {
    job_id: row.id,
    run_id: row.run_id,
    connection_id: row.connection_id,
    connection_name: row.connection_name,
    connection_version: row.connection_version,
    position: row.position,
    credential_id: row.credential_id,
    credential_name: row.credential_name,
    status: row.status,
    mode: row.mode,
    type: row.run_type,
    trigger: row.run_trigger,
    requested_by: row.requested_by,
    serial: row.serial,
    ...jobCountersOf(row),
    error:
      row.error_code === null && row.error_message === null
        ? null
        : { code: row.error_code, http_status: row.error_http_status, message: row.error_message, hint: row.error_hint },
    created_at: iso(row.created_at),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    duration_ms: row.duration_ms,
  };
}

function logLine(row: ExportLogRow) {
  return { job_id: row.job_id, seq: row.seq, at: iso(row.at), level: row.level, message: row.message, serial: row.serial };
}
