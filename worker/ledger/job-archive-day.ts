// Where a job's outcomes and logs live: jobs with an archive_day have them in the R2 archive under that
// day; jobs from before the archive (archive_day NULL) keep them as rows in record_outcomes and logs.

export interface JobHistoryLocation {
  jobId: string;
  runId: string;
  /** null for a job whose history is in D1 rows. */
  archiveDay: string | null;
}

/** null when the job does not exist. */
export async function readJobHistoryLocation(db: D1Database, jobId: string): Promise<JobHistoryLocation | null> {
  const row = await db
    .prepare("SELECT id, run_id, archive_day FROM jobs WHERE id = ?1")
    .bind(jobId)
    .first<{ id: string; run_id: string; archive_day: string | null }>();
  return row ? { jobId: row.id, runId: row.run_id, archiveDay: row.archive_day } : null;
}

// null turns a job back into one from before the archive (its history in D1 rows): for test fixtures.
export async function setJobArchiveDay(db: D1Database, jobId: string, day: string | null): Promise<void> {
  await db.prepare("UPDATE jobs SET archive_day = ?2 WHERE id = ?1").bind(jobId, day).run();
}
