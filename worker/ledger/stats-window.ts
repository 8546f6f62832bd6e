import { addToHistogram, durationAtRank, type DurationHistogram } from "../stats/duration-histogram";
import { RUN_STATUSES, type JobStatus } from "../schemas/vocabulary";
import {
  emptyDurations,
  emptyStatusCounts,
  nearestRank,
  runQueries,
  type ConnectionWindowStats,
  type DurationSummary,
  type Query,
  type StatusCounts,
  type TimeWindow,
} from "./stats";

// A window's job counts and durations: whole UTC hours from the job_stats_hourly rollup, the partial
// hours at either end from the jobs themselves. Counts, averages, min and max are exact; p50/p95 come
// from the rollup's duration histogram merged with the edge hours' exact durations.

const HOUR_MS = 3_600_000;
const STATUS_LIST = RUN_STATUSES.map((s) => `'${s}'`).join(", ");

export interface WindowStats {
  jobs: StatusCounts;
  durations: DurationSummary;
  perConnection: Map<string, { jobs: StatusCounts; durations: DurationSummary }>;
}

/** The whole hours inside the window (null when there are none) and the partial spans around them. */
export function splitWindow(window: TimeWindow): { hours: TimeWindow | null; edges: TimeWindow[] } {
  const first = Math.ceil(window.since / HOUR_MS) * HOUR_MS;
  const last = Math.floor(window.until / HOUR_MS) * HOUR_MS;
  if (first >= last) return { hours: null, edges: window.since < window.until ? [window] : [] };
  const edges = [
    { since: window.since, until: first },
    { since: last, until: window.until },
  ].filter((edge) => edge.since < edge.until);
  return { hours: { since: first, until: last }, edges };
}

interface Accumulator {
  jobs: StatusCounts;
  count: number;
  sumMs: number;
  minMs: number | null;
  maxMs: number | null;
  histogram: DurationHistogram;
  exact: number[];
}

function emptyAccumulator(): Accumulator {
  return { jobs: emptyStatusCounts(), count: 0, sumMs: 0, minMs: null, maxMs: null, histogram: new Map(), exact: [] };
}

function widen(acc: Accumulator, min: number | null, max: number | null): void {
  if (min !== null) acc.minMs = acc.minMs === null ? min : Math.min(acc.minMs, min);
  if (max !== null) acc.maxMs = acc.maxMs === null ? max : Math.max(acc.maxMs, max);
}

function summarise(acc: Accumulator): DurationSummary {
  if (acc.count === 0) return emptyDurations();
  const merged = { histogram: acc.histogram, exact: acc.exact, minMs: acc.minMs, maxMs: acc.maxMs };
  return {
    count: acc.count,
    averageMs: Math.round(acc.sumMs / acc.count),
    p50Ms: durationAtRank(merged, nearestRank(acc.count, 50)),
    p95Ms: durationAtRank(merged, nearestRank(acc.count, 95)),
    minMs: acc.minMs,
    maxMs: acc.maxMs,
  };
}

interface RollupRow extends Record<JobStatus, number> {
  connection_id: string;
  n: number;
  sum_ms: number;
  min_ms: number | null;
  max_ms: number | null;
}

function scoped(connectionIds: string[] | null, column: string, param: number): { sql: string; params: unknown[] } {
  return connectionIds === null
    ? { sql: "", params: [] }
    : { sql: ` AND ${column} IN (SELECT value FROM json_each(?${param}))`, params: [JSON.stringify(connectionIds)] };
}

function rollupQueries(
  db: D1Database,
  hours: TimeWindow,
  connectionIds: string[] | null,
): [Query<RollupRow[]>, Query<Array<{ connection_id: string; histogram: string }>>] {
  const scope = scoped(connectionIds, "connection_id", 3);
  const params = [hours.since, hours.until, ...scope.params];
  return [
    {
      statement: db
        .prepare(
          `SELECT connection_id, ${RUN_STATUSES.map((s) => `SUM(${s}) AS ${s}`).join(", ")},
                  SUM(duration_count) AS n, SUM(duration_sum) AS sum_ms, MIN(duration_min) AS min_ms, MAX(duration_max) AS max_ms
             FROM job_stats_hourly WHERE hour >= ?1 AND hour < ?2${scope.sql}
            GROUP BY connection_id`,
        )
        .bind(...params),
      read: (result) => result.results as unknown as RollupRow[],
    },
    {
      // Merged here rather than with json_each: parsing in JS is several times faster than SQL's per-entry rows.
      statement: db
        .prepare(`SELECT connection_id, histogram FROM job_stats_hourly WHERE hour >= ?1 AND hour < ?2 AND duration_count > 0${scope.sql}`)
        .bind(...params),
      read: (result) => result.results as unknown as Array<{ connection_id: string; histogram: string }>,
    },
  ];
}

function edgeQueries(
  db: D1Database,
  edge: TimeWindow,
  connectionIds: string[] | null,
): [Query<Array<{ connection_id: string; status: JobStatus; n: number }>>, Query<Array<{ connection_id: string; duration_ms: number }>>] {
  const scope = scoped(connectionIds, "connection_id", 3);
  const params = [edge.since, edge.until, ...scope.params];
  return [
    {
      statement: db
        .prepare(
          `SELECT connection_id, status, COUNT(*) AS n FROM jobs INDEXED BY jobs_stats_by_status
            WHERE status IN (${STATUS_LIST}) AND created_at >= ?1 AND created_at < ?2${scope.sql}
            GROUP BY connection_id, status`,
        )
        .bind(...params),
      read: (result) => result.results as unknown as Array<{ connection_id: string; status: JobStatus; n: number }>,
    },
    {
      statement: db
        .prepare(
          `SELECT connection_id, duration_ms FROM jobs INDEXED BY jobs_stats_by_status
            WHERE status = 'completed' AND created_at >= ?1 AND created_at < ?2 AND duration_ms IS NOT NULL${scope.sql}`,
        )
        .bind(...params),
      read: (result) => result.results as unknown as Array<{ connection_id: string; duration_ms: number }>,
    },
  ];
}

/** Counts and durations in the window, overall and per connection (all connections, or only `connectionIds`). */
export async function windowStats(db: D1Database, window: TimeWindow, connectionIds: string[] | null): Promise<WindowStats> {
  const { hours, edges } = splitWindow(window);
  const rollup = hours === null ? [] : rollupQueries(db, hours, connectionIds);
  const perEdge = edges.map((edge) => edgeQueries(db, edge, connectionIds));
  const results = await runQueries(db, [...rollup, ...perEdge.flat()] as Array<Query<unknown>>);

  const overall = emptyAccumulator();
  const byConnection = new Map<string, Accumulator>();
  const of = (id: string) => {
    let acc = byConnection.get(id);
    if (!acc) byConnection.set(id, (acc = emptyAccumulator()));
    return acc;
  };
  let next = 0;
  if (hours !== null) {
    for (const row of results[next++] as RollupRow[]) {
      const acc = of(row.connection_id);
      for (const status of RUN_STATUSES) {
        acc.jobs[status] += row[status];
        overall.jobs[status] += row[status];
      }
      for (const target of [acc, overall]) {
        target.count += row.n;
        target.sumMs += row.sum_ms;
        widen(target, row.min_ms, row.max_ms);
      }
    }
    for (const row of results[next++] as Array<{ connection_id: string; histogram: string }>) {
      const acc = of(row.connection_id);
      for (const [bucket, n] of Object.entries(JSON.parse(row.histogram) as Record<string, number>)) {
        addToHistogram(acc.histogram, Number(bucket), n);
      }
    }
    // The overall histogram from the per-connection ones: a few hundred additions instead of one per entry.
    for (const acc of byConnection.values()) {
      for (const [bucket, n] of acc.histogram) addToHistogram(overall.histogram, bucket, n);
    }
  }
  for (let i = 0; i < edges.length; i++) {
    for (const row of results[next++] as Array<{ connection_id: string; status: JobStatus; n: number }>) {
      of(row.connection_id).jobs[row.status] += row.n;
      overall.jobs[row.status] += row.n;
    }
    for (const row of results[next++] as Array<{ connection_id: string; duration_ms: number }>) {
      for (const target of [of(row.connection_id), overall]) {
        target.count += 1;
        target.sumMs += row.duration_ms;
        target.exact.push(row.duration_ms);
        widen(target, row.duration_ms, row.duration_ms);
      }
    }
  }

  const perConnection = new Map<string, { jobs: StatusCounts; durations: DurationSummary }>();
  for (const [id, acc] of byConnection) {
    // An hour whose jobs were all deleted leaves no rollup row, so every entry here had a job.
    perConnection.set(id, { jobs: acc.jobs, durations: summarise(acc) });
  }
  return { jobs: overall.jobs, durations: summarise(overall), perConnection };
}

/** Counts and durations (with percentiles) of the given connections in the window. */
export async function connectionWindowStats(db: D1Database, window: TimeWindow, connectionIds: string[]): Promise<Map<string, ConnectionWindowStats>> {
  const { perConnection } = await windowStats(db, window, connectionIds);
  return new Map([...perConnection].map(([id, stats]) => [id, { connectionId: id, ...stats }]));
}
