// Retention and log-export words shared by the ledger, the API schemas and the web app. Nothing here
// names D1, so the web's type check can follow these imports without Workers types.

export const PURGED_TABLES = ["logs", "record_outcomes", "jobs", "runs", "events", "delivery_attempts", "deliveries", "schedule_ticks"] as const;
export type PurgedTable = (typeof PURGED_TABLES)[number];
export type DeletedCounts = Record<PurgedTable, number>;

// What a pass removed from the R2 archive: whole day prefixes (jobs/<day>/), their objects and bytes.
export const ARCHIVE_COUNTS = ["days", "objects", "bytes"] as const;
export type ArchiveDeletedCounts = Record<(typeof ARCHIVE_COUNTS)[number], number>;

// A pass works through these in order; the stored progress names the one it reached. The archive's
// objects go after the jobs' D1 rows, so an interrupted pass leaves unreachable objects, never a job without them.
export const PASS_PHASES = ["export", "jobs", "archive", "runs", "events", "deliveries", "schedule_ticks", "done"] as const;
export type PassPhase = (typeof PASS_PHASES)[number];

export const PASS_STATUSES = ["running", "completed", "failed"] as const;
export type PassStatus = (typeof PASS_STATUSES)[number];

// What one retention invocation reports: idle or up_to_date did nothing, busy found another holding the pass.
export const RETENTION_STATUSES = ["idle", "up_to_date", "busy", "in_progress", "completed", "failed"] as const;
export type RetentionStatus = (typeof RETENTION_STATUSES)[number];

export const EXPORT_STATUSES = ["pending", "succeeded", "failed"] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];
