import { archiveDay } from "../archive/archive-keys";
import { newId } from "./ids";
import type { NewJob, NewRun } from "./run-writes";

// The many-runs counterparts of insertRun and promoteRun (run-writes.ts): the same rows and the same outbox
// events, for any number of runs in a fixed number of statements (rows travel as JSON through json_each),
// so a queue consumer starting a hundred scheduled runs stays one D1 round trip and far below the
// per-invocation query limit.

// A bound value stays well under D1's 2 MB limit per value.
const MAX_JSON_CHARS = 900_000;

/** JSON arrays of the items, each under MAX_JSON_CHARS, for one json_each statement apiece. */
export function jsonArrays(items: readonly unknown[]): string[] {
  const arrays: string[] = [];
  let parts: string[] = [];
  let size = 2;
  for (const item of items) {
    const text = JSON.stringify(item);
    if (parts.length > 0 && size + text.length + 1 > MAX_JSON_CHARS) {
      arrays.push(`[${parts.join(",")}]`);
      parts = [];
      size = 2;
    }
    parts.push(text);
    size += text.length + 1;
  }
  if (parts.length > 0) arrays.push(`[${parts.join(",")}]`);
  return arrays;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A batch's statements and the ids of the outbox events they write, one per run in the runs' order. */
export interface RunsWrite {
  statements: D1PreparedStatement[];
  eventIds: string[];
}

/** Inserts pending runs with their jobs and each run's "pending" event, as insertRun does for one. */
export function insertRunsStatements(db: D1Database, runs: ReadonlyArray<{ run: NewRun; jobs: readonly NewJob[] }>): RunsWrite {
  const runRows = runs.map(({ run, jobs }) => ({ ...run, reset: run.reset ? 1 : 0, connection_count: jobs.length }));
  const events = runs.map(({ run }) => ({
    id: newId("evt", run.created_at),
    run_id: run.id,
    created_at: run.created_at,
    payload: JSON.stringify({ run_id: run.id, previous_status: null, status: "pending", credential_id: run.credential_id }),
  }));
  const jobRows = runs.flatMap(({ run, jobs }) =>
    jobs.map((job) => ({ ...job, run_id: run.id, created_at: run.created_at, archive_day: archiveDay(run.created_at) })),
  );
  const field = (name: string) => `json_extract(value, '$.${name}')`;
  const statements = [
    ...jsonArrays(runRows).map((rows) =>
      db
        .prepare(
          `INSERT INTO runs (id, credential_id, credential_name, type, serial, mode, "trigger", requested_by, status,
                             scope_json, reset, rerun_of, idempotency_key, connection_count, created_at)
           SELECT ${field("id")}, ${field("credential_id")}, ${field("credential_name")}, ${field("type")}, ${field("serial")},
                  ${field("mode")}, ${field("trigger")}, ${field("requested_by")}, 'pending', ${field("scope_json")}, ${field("reset")},
                  ${field("rerun_of")}, ${field("idempotency_key")}, ${field("connection_count")}, ${field("created_at")}
             FROM json_each(?1)`,
        )
        .bind(rows),
    ),
    ...jsonArrays(events).map((rows) =>
      db
        .prepare(
          `INSERT INTO events (id, type, run_id, job_id, connection_id, payload_json, created_at)
           SELECT ${field("id")}, 'run.status_changed', ${field("run_id")}, NULL, NULL, ${field("payload")}, ${field("created_at")}
             FROM json_each(?1)`,
        )
        .bind(rows),
    ),
    ...jsonArrays(jobRows).map((rows) =>
      db
        .prepare(
          `INSERT INTO jobs (id, run_id, connection_id, connection_name, connection_version, position, status, mode, created_at, archive_day)
           SELECT ${field("id")}, ${field("run_id")}, ${field("connection_id")}, ${field("connection_name")},
                  ${field("connection_version")}, ${field("position")}, 'pending', ${field("mode")}, ${field("created_at")}, ${field("archive_day")}
             FROM json_each(?1)`,
        )
        .bind(rows),
    ),
  ];
  return { statements, eventIds: events.map((event) => event.id) };
}

/**
 * Promotes each of these pending runs that is its credential's oldest pending run while nothing of the
 * credential runs (startNextRun's rule, with oldestPendingRunId's query), then adds each promoted run's
 * "running" event.
 * The first statement returns the promoted ids; `eventIds` has each run's "running" event id, written only if
 * the run was promoted. Give at most one run per credential.
 */
export function promoteRunsStatements(db: D1Database, runs: ReadonlyArray<{ id: string; credential_id: string }>, now: number): RunsWrite {
  if (runs.length === 0) return { statements: [], eventIds: [] };
  const ids = JSON.stringify(runs.map((run) => run.id));
  const events = runs.map((run) => ({
    id: newId("evt", now),
    run_id: run.id,
    payload: JSON.stringify({ run_id: run.id, previous_status: "pending", status: "running", credential_id: run.credential_id, started_at: iso(now) }),
  }));
  const statements = [
    db
      .prepare(
        `UPDATE runs SET status = 'running', started_at = ?2
          WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'pending'
            AND NOT EXISTS (SELECT 1 FROM runs other WHERE other.credential_id = runs.credential_id AND other.status = 'running')
            AND runs.id = (SELECT other.id FROM runs other INDEXED BY runs_pending_by_credential
                            WHERE other.credential_id = runs.credential_id AND other.status = 'pending'
                            ORDER BY other.id LIMIT 1)
          RETURNING id`,
      )
      .bind(ids, now),
    // Only the runs the UPDATE promoted: they are running since exactly `now`, in this same transaction.
    // CROSS JOIN keeps json_each outside: one primary-key lookup per run, never a pass over running runs.
    db
      .prepare(
        `INSERT INTO events (id, type, run_id, job_id, connection_id, payload_json, created_at)
         SELECT json_extract(e.value, '$.id'), 'run.status_changed', r.id, NULL, NULL, json_extract(e.value, '$.payload'), ?2
           FROM json_each(?1) e CROSS JOIN runs r ON r.id = json_extract(e.value, '$.run_id')
          WHERE r.status = 'running' AND r.started_at = ?2`,
      )
      .bind(JSON.stringify(events), now),
  ];
  return { statements, eventIds: events.map((event) => event.id) };
}
