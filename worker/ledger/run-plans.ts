import type { DatasetRow } from "./run-scope";
import type { JobRow, RunRow } from "./run-rows";

// What plan and apply read: the dry run with its jobs and their connections as they are now, the runs that
// apply it, and for an apply job its dry job and the dataset rows of its planned serials.

export type PlanJobRow = Pick<JobRow, "id" | "run_id" | "connection_id" | "connection_name" | "connection_version" | "status" | "would_update" | "archive_day">;

export interface PlanFacts {
  run: RunRow;
  jobs: Array<PlanJobRow & { current_version: number | null; current_name: string | null; enabled: number | null }>;
  // Runs that apply this dry run, newest first.
  applies: Array<Pick<RunRow, "id" | "status">>;
}

export async function readPlanFacts(db: D1Database, runId: string): Promise<PlanFacts | null> {
  const [run, jobs, applies] = await db.batch([
    db.prepare("SELECT * FROM runs WHERE id = ?1").bind(runId),
    db
      .prepare(
        `SELECT j.id, j.run_id, j.connection_id, j.connection_name, j.connection_version, j.status, j.would_update, j.archive_day,
                c.version AS current_version, c.name AS current_name, c.enabled
           FROM jobs j LEFT JOIN connections c ON c.id = j.connection_id
          WHERE j.run_id = ?1 ORDER BY j.position, j.id`,
      )
      .bind(runId),
    db.prepare("SELECT id, status FROM runs INDEXED BY runs_by_plan_run WHERE plan_run_id = ?1 ORDER BY id DESC").bind(runId),
  ]);
  const row = (run!.results as RunRow[])[0];
  if (row === undefined) return null;
  return { run: row, jobs: jobs!.results as PlanFacts["jobs"], applies: applies!.results as PlanFacts["applies"] };
}

/** An apply job's dry job, with its run's finish, from which the plan's TTL (settings plans.ttl_hours) counts. */
export interface PlanJobToApply extends PlanJobRow {
  run_finished_at: number | null;
}

export async function readPlanJob(db: D1Database, jobId: string): Promise<PlanJobToApply | null> {
  return db
    .prepare(
      `SELECT j.id, j.run_id, j.connection_id, j.connection_name, j.connection_version, j.status, j.would_update, j.archive_day,
              r.finished_at AS run_finished_at
         FROM jobs j JOIN runs r ON r.id = j.run_id
        WHERE j.id = ?1`,
    )
    .bind(jobId)
    .first<PlanJobToApply>();
}

export async function readDatasetRecords(db: D1Database, connectionId: string, serials: readonly string[]): Promise<DatasetRow[]> {
  if (serials.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT serial, record_json, updated_at FROM dataset_records
        WHERE connection_id = ?1 AND serial IN (SELECT value FROM json_each(?2))`,
    )
    .bind(connectionId, JSON.stringify(serials))
    .all<DatasetRow>();
  return results;
}
