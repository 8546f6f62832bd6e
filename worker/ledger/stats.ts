import type { JobStatus, RunStatus } from "./run-rows";
import { RUN_STATUSES } from "./run-rows";

// Stats are read in two round trips: one batch of counts and aggregates, then one batch of percentile
// lookups that need those counts. Every statement reads a (…, status, created_at, duration_ms) index.

export interface TimeWindow {
  since: number;
  until: number;
}

export type StatusCounts = Record<JobStatus, number>;

export interface DurationSummary {
  count: number;
  averageMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  minMs: number | null;
  maxMs: number | null;
}

export interface ConnectionWindowStats {
  connectionId: string;
  jobs: StatusCounts;
  durations: DurationSummary;
}

export interface FailedJobRow {
  id: string;
  run_id: string;
  connection_id: string;
  connection_name: string;
  mode: "dry" | "live";
  trigger: string;
  error_code: string | null;
  error_http_status: number | null;
  error_message: string | null;
  error_hint: string | null;
  created_at: number;
  finished_at: number | null;
  duration_ms: number | null;
}

export interface ConnectionHealthRow {
  id: string;
  name: string;
  credential_id: string;
  credential_name: string;
  enabled: number;
  dry_run: number;
  schedule: string | null;
  last_status: string | null;
  last_run_at: number | null;
  last_success_at: number | null;
}

export interface RecentJobRow {
  connection_id: string;
  id: string;
  status: JobStatus;
  duration_ms: number | null;
  created_at: number;
}

/** A statement and how to read its result, so several can share one batch. */
export interface Query<T> {
  statement: D1PreparedStatement;
  read(result: D1Result): T;
}

type Results<Q extends readonly Query<unknown>[]> = { [K in keyof Q]: Q[K] extends Query<infer R> ? R : never };

/** Runs the queries as one D1 batch: one round trip, one consistent snapshot. */
export async function runQueries<const Q extends readonly Query<unknown>[]>(db: D1Database, queries: Q): Promise<Results<Q>> {
  if (queries.length === 0) return [] as unknown as Results<Q>;
  const results = await db.batch(queries.map((q) => q.statement));
  return queries.map((q, i) => q.read(results[i] as D1Result)) as unknown as Results<Q>;
}

// Every status named so the (status, created_at, …) index is read as one range per status.
const STATUS_LIST = RUN_STATUSES.map((s) => `'${s}'`).join(", ");
// Above this many connections, per-connection percentiles come from one window-function statement
// instead of two lookups each, to stay far below D1's queries-per-invocation limit.
const PER_CONNECTION_LOOKUP_LIMIT = 40;

export function emptyStatusCounts(): StatusCounts {
  return Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as StatusCounts;
}

export function emptyDurations(): DurationSummary {
  return { count: 0, averageMs: null, p50Ms: null, p95Ms: null, minMs: null, maxMs: null };
}

/** 1-based nearest rank: p95 of n sorted durations is the one at ceil(0.95·n), always a real duration. */
export function nearestRank(n: number, percent: number): number {
  return Math.max(1, Math.ceil((n * percent) / 100));
}

function tally(rows: Array<{ status: RunStatus; n: number }>): StatusCounts {
  const counts = emptyStatusCounts();
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

export function runCountsQuery(db: D1Database, window: TimeWindow): Query<StatusCounts> {
  return {
    statement: db
      .prepare("SELECT status, COUNT(*) AS n FROM runs INDEXED BY runs_by_created WHERE created_at >= ?1 AND created_at < ?2 GROUP BY status")
      .bind(window.since, window.until),
    read: (result) => tally(result.results as Array<{ status: RunStatus; n: number }>),
  };
}

interface AggregateRow {
  connection_id: string;
  n: number;
  avg_ms: number | null;
  min_ms: number | null;
  max_ms: number | null;
}

function summaryFrom(row: AggregateRow | undefined): DurationSummary {
  if (!row || row.n === 0) return emptyDurations();
  return {
    count: row.n,
    averageMs: row.avg_ms === null ? null : Math.round(row.avg_ms),
    p50Ms: null,
    p95Ms: null,
    minMs: row.min_ms,
    maxMs: row.max_ms,
  };
}

interface WindowAggregateRow {
  connection_id: string;
  status: JobStatus;
  jobs: number;
  n: number;
  sum_ms: number | null;
  min_ms: number | null;
  max_ms: number | null;
}

export interface WindowAggregate {
  jobs: StatusCounts;
  durations: DurationSummary;
  perConnection: Map<string, { jobs: StatusCounts; durations: DurationSummary }>;
}

/**
 * One scan of the window's (status, created_at, connection_id, duration_ms) index entries gives the job
 * counts and completed-job duration aggregates, overall and per connection; percentiles come next.
 */
export function windowAggregateQuery(db: D1Database, window: TimeWindow): Query<WindowAggregate> {
  return {
    statement: db
      .prepare(
        `SELECT connection_id, status, COUNT(*) AS jobs, COUNT(duration_ms) AS n, SUM(duration_ms) AS sum_ms,
                MIN(duration_ms) AS min_ms, MAX(duration_ms) AS max_ms
           FROM jobs INDEXED BY jobs_stats_by_status
          WHERE status IN (${STATUS_LIST}) AND created_at >= ?1 AND created_at < ?2
          GROUP BY connection_id, status`,
      )
      .bind(window.since, window.until),
    read: (result) => {
      const jobs = emptyStatusCounts();
      const completed: AggregateRow[] = [];
      const perConnection = new Map<string, { jobs: StatusCounts; durations: DurationSummary }>();
      for (const row of result.results as WindowAggregateRow[]) {
        jobs[row.status] += row.jobs;
        const entry = perConnection.get(row.connection_id) ?? { jobs: emptyStatusCounts(), durations: emptyDurations() };
        entry.jobs[row.status] = row.jobs;
        if (row.status === "completed" && row.n > 0) {
          const aggregate = { connection_id: row.connection_id, n: row.n, avg_ms: (row.sum_ms ?? 0) / row.n, min_ms: row.min_ms, max_ms: row.max_ms };
          entry.durations = summaryFrom(aggregate);
          completed.push(aggregate);
        }
        perConnection.set(row.connection_id, entry);
      }
      const n = completed.reduce((sum, row) => sum + row.n, 0);
      const durations = summaryFrom({
        connection_id: "",
        n,
        avg_ms: n === 0 ? null : completed.reduce((sum, row) => sum + (row.avg_ms ?? 0) * row.n, 0) / n,
        min_ms: n === 0 ? null : Math.min(...completed.map((row) => row.min_ms ?? Infinity)),
        max_ms: n === 0 ? null : Math.max(...completed.map((row) => row.max_ms ?? -Infinity)),
      });
      return { jobs, durations, perConnection };
    },
  };
}

function connectionScope(connectionIds: string[] | null): { sql: string; params: unknown[] } {
  return connectionIds === null
    ? { sql: "SELECT id FROM connections", params: [] }
    : { sql: "SELECT value FROM json_each(?3)", params: [JSON.stringify(connectionIds)] };
}

/** Per-connection job counts by status and completed-job duration aggregates in the window. */
export function connectionWindowQuery(
  db: D1Database,
  window: TimeWindow,
  connectionIds: string[] | null,
): [Query<Map<string, StatusCounts>>, Query<Map<string, DurationSummary>>] {
  const scope = connectionScope(connectionIds);
  const params = [window.since, window.until, ...scope.params];
  return [
    {
      statement: db
        .prepare(
          `SELECT connection_id, status, COUNT(*) AS n FROM jobs INDEXED BY jobs_stats_by_connection
            WHERE connection_id IN (${scope.sql}) AND status IN (${STATUS_LIST}) AND created_at >= ?1 AND created_at < ?2
            GROUP BY connection_id, status`,
        )
        .bind(...params),
      read: (result) => {
        const out = new Map<string, StatusCounts>();
        for (const row of result.results as Array<{ connection_id: string; status: JobStatus; n: number }>) {
          const counts = out.get(row.connection_id) ?? emptyStatusCounts();
          counts[row.status] = row.n;
          out.set(row.connection_id, counts);
        }
        return out;
      },
    },
    {
      statement: db
        .prepare(
          `SELECT connection_id, COUNT(*) AS n, AVG(duration_ms) AS avg_ms, MIN(duration_ms) AS min_ms, MAX(duration_ms) AS max_ms
             FROM jobs INDEXED BY jobs_stats_by_connection
            WHERE connection_id IN (${scope.sql}) AND status = 'completed' AND created_at >= ?1 AND created_at < ?2
              AND duration_ms IS NOT NULL
            GROUP BY connection_id`,
        )
        .bind(...params),
      read: (result) => new Map((result.results as AggregateRow[]).map((row) => [row.connection_id, summaryFrom(row)])),
    },
  ];
}

/**
 * The duration at a nearest rank among completed jobs in the window (of one connection, or all). The sort
 * keeps only the rows up to the offset, so the lookup walks from whichever end is nearer.
 */
function rankQuery(db: D1Database, window: TimeWindow, connectionId: string | null, n: number, rank: number): Query<number | null> {
  const fromTop = rank > n / 2;
  const offset = fromTop ? n - rank : rank - 1;
  const statement =
    connectionId === null
      ? db
          .prepare(
            `SELECT duration_ms FROM jobs INDEXED BY jobs_stats_by_status
              WHERE status = 'completed' AND created_at >= ?1 AND created_at < ?2 AND duration_ms IS NOT NULL
              ORDER BY duration_ms ${fromTop ? "DESC" : "ASC"} LIMIT 1 OFFSET ?3`,
          )
          .bind(window.since, window.until, offset)
      : db
          .prepare(
            `SELECT duration_ms FROM jobs INDEXED BY jobs_stats_by_connection
              WHERE connection_id = ?4 AND status = 'completed' AND created_at >= ?1 AND created_at < ?2 AND duration_ms IS NOT NULL
              ORDER BY duration_ms ${fromTop ? "DESC" : "ASC"} LIMIT 1 OFFSET ?3`,
          )
          .bind(window.since, window.until, offset, connectionId);
  return { statement, read: (result) => (result.results[0] as { duration_ms: number } | undefined)?.duration_ms ?? null };
}

type Percentiles = { p50: number | null; p95: number | null };

function windowPercentilesQuery(db: D1Database, window: TimeWindow, connectionIds: string[]): Query<Map<string, Percentiles>> {
  return {
    statement: db
      .prepare(
        `SELECT connection_id, rn, n, duration_ms FROM (
           SELECT connection_id, duration_ms,
                  ROW_NUMBER() OVER (PARTITION BY connection_id ORDER BY duration_ms) AS rn,
                  COUNT(*) OVER (PARTITION BY connection_id) AS n
             FROM jobs INDEXED BY jobs_stats_by_connection
            WHERE connection_id IN (SELECT value FROM json_each(?3)) AND status = 'completed'
              AND created_at >= ?1 AND created_at < ?2 AND duration_ms IS NOT NULL)
          WHERE rn = (n * 50 + 99) / 100 OR rn = (n * 95 + 99) / 100`,
      )
      .bind(window.since, window.until, JSON.stringify(connectionIds)),
    read: (result) => {
      const out = new Map<string, Percentiles>();
      for (const row of result.results as Array<{ connection_id: string; rn: number; n: number; duration_ms: number }>) {
        const entry = out.get(row.connection_id) ?? { p50: null, p95: null };
        if (row.rn === nearestRank(row.n, 50)) entry.p50 = row.duration_ms;
        if (row.rn === nearestRank(row.n, 95)) entry.p95 = row.duration_ms;
        out.set(row.connection_id, entry);
      }
      return out;
    },
  };
}

/**
 * Fills in p50/p95 for the overall summary (key null) and each connection's, in one batch. Summaries
 * are updated in place.
 */
export async function fillPercentiles(
  db: D1Database,
  window: TimeWindow,
  overall: DurationSummary | null,
  perConnection: Map<string, DurationSummary>,
): Promise<void> {
  const lookups: Array<{ summary: DurationSummary; key: "p50Ms" | "p95Ms"; query: Query<number | null> }> = [];
  const addLookups = (summary: DurationSummary, connectionId: string | null) => {
    if (summary.count === 0) return;
    lookups.push({ summary, key: "p50Ms", query: rankQuery(db, window, connectionId, summary.count, nearestRank(summary.count, 50)) });
    lookups.push({ summary, key: "p95Ms", query: rankQuery(db, window, connectionId, summary.count, nearestRank(summary.count, 95)) });
  };
  if (overall) addLookups(overall, null);
  const withJobs = [...perConnection].filter(([, s]) => s.count > 0);
  const many = withJobs.length > PER_CONNECTION_LOOKUP_LIMIT;
  if (!many) for (const [id, summary] of withJobs) addLookups(summary, id);

  const queries = lookups.map((l) => l.query);
  const [values, windowed] = await Promise.all([
    runQueries(db, queries),
    many ? runQueries(db, [windowPercentilesQuery(db, window, withJobs.map(([id]) => id))] as const) : Promise.resolve(null),
  ]);
  lookups.forEach((lookup, i) => {
    lookup.summary[lookup.key] = (values as Array<number | null>)[i] ?? null;
  });
  if (windowed) {
    for (const [id, summary] of withJobs) {
      const found = windowed[0].get(id);
      summary.p50Ms = found?.p50 ?? null;
      summary.p95Ms = found?.p95 ?? null;
    }
  }
}

/** Failed jobs created in the window, newest first. */
export function recentFailuresQuery(db: D1Database, window: TimeWindow, limit: number): Query<FailedJobRow[]> {
  return {
    statement: db
      .prepare(
        `SELECT j.id, j.run_id, j.connection_id, j.connection_name, COALESCE(j.mode, r.mode) AS mode, r."trigger" AS "trigger",
                j.error_code, j.error_http_status, j.error_message, j.error_hint, j.created_at, j.finished_at, j.duration_ms
           FROM jobs j INDEXED BY jobs_stats_by_status JOIN runs r ON r.id = j.run_id
          WHERE j.status = 'failed' AND j.created_at >= ?1 AND j.created_at < ?2
          ORDER BY j.created_at DESC, j.id DESC
          LIMIT ?3`,
      )
      .bind(window.since, window.until, limit),
    read: (result) => result.results as unknown as FailedJobRow[],
  };
}

/**
 * Every connection with its last status and last success. The last success is the later of the
 * connection's bookkeeping and its newest completed job, so neither a purge nor a missed update hides one.
 */
export function connectionHealthQuery(db: D1Database): Query<ConnectionHealthRow[]> {
  return {
    statement: db.prepare(
      `SELECT c.id, c.name, c.credential_id, cr.name AS credential_name, c.enabled, c.dry_run, c.schedule,
              c.last_status, c.last_run_at,
              NULLIF(MAX(IFNULL(c.last_success_at, 0), IFNULL((
                SELECT j.finished_at FROM jobs j INDEXED BY jobs_stats_by_connection
                 WHERE j.connection_id = c.id AND j.status = 'completed'
                 ORDER BY j.created_at DESC LIMIT 1), 0)), 0) AS last_success_at
         FROM connections c JOIN credentials cr ON cr.id = c.credential_id
        ORDER BY cr.name, c.position`,
    ),
    read: (result) => result.results as unknown as ConnectionHealthRow[],
  };
}

/** The newest `perConnection` jobs of each connection, newest first: the sparkline behind a connection row. */
export function recentJobsQuery(db: D1Database, perConnection: number): Query<RecentJobRow[]> {
  return {
    statement: db
      .prepare(
        `SELECT j.connection_id, j.id, j.status, j.duration_ms, j.created_at
           FROM connections c
           JOIN jobs j ON j.id IN (
             SELECT id FROM jobs INDEXED BY jobs_by_connection WHERE connection_id = c.id ORDER BY created_at DESC LIMIT ?1)
          ORDER BY j.connection_id, j.created_at DESC`,
      )
      .bind(perConnection),
    read: (result) => result.results as unknown as RecentJobRow[],
  };
}

/** Counts and durations (with percentiles) per connection in the window. */
export async function connectionWindowStats(
  db: D1Database,
  window: TimeWindow,
  connectionIds: string[] | null,
): Promise<Map<string, ConnectionWindowStats>> {
  const [counts, durations] = await runQueries(db, connectionWindowQuery(db, window, connectionIds));
  await fillPercentiles(db, window, null, durations);
  return mergeConnectionStats(counts, durations);
}

export function mergeConnectionStats(counts: Map<string, StatusCounts>, durations: Map<string, DurationSummary>): Map<string, ConnectionWindowStats> {
  const out = new Map<string, ConnectionWindowStats>();
  for (const id of new Set([...counts.keys(), ...durations.keys()])) {
    out.set(id, { connectionId: id, jobs: counts.get(id) ?? emptyStatusCounts(), durations: durations.get(id) ?? emptyDurations() });
  }
  return out;
}

export async function connectionHealth(db: D1Database): Promise<ConnectionHealthRow[]> {
  const [rows] = await runQueries(db, [connectionHealthQuery(db)] as const);
  return rows;
}
