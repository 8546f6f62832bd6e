import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { RUN_STATUSES, type JobStatus } from "../../../worker/schemas/vocabulary";
import { nearestRank } from "../../../worker/ledger/stats";
import { windowStats } from "../../../worker/ledger/stats-window";
import { bucketOf, PERCENTILE_TOLERANCE } from "../../../worker/stats/duration-histogram";
import { makeRun } from "../factories";

const HOUR_MS = 3_600_000;
const START = Date.UTC(2026, 10, 20, 6);
const CONNECTIONS = ["rollup_a", "rollup_b", "rollup_c"];

interface JobState {
  id: string;
  connection_id: string;
  status: JobStatus;
  created_at: number;
  duration_ms: number | null;
}

// A small deterministic generator, so a failure replays the same history.
function sequence(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
}

async function jobsNow(): Promise<JobState[]> {
  const { results } = await env.LEDGER.prepare(
    "SELECT id, connection_id, status, created_at, duration_ms FROM jobs WHERE connection_id IN (SELECT value FROM json_each(?1))",
  )
    .bind(JSON.stringify(CONNECTIONS))
    .all<JobState>();
  return results;
}

function expectedRollup(jobs: JobState[]) {
  const rows = new Map<string, Record<string, unknown>>();
  for (const job of jobs) {
    const hour = Math.floor(job.created_at / HOUR_MS) * HOUR_MS;
    const key = `${hour}|${job.connection_id}`;
    const row = rows.get(key) ?? {
      hour,
      connection_id: job.connection_id,
      ...Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])),
      duration_count: 0,
      duration_sum: 0,
      duration_min: null,
      duration_max: null,
      histogram: {} as Record<string, number>,
    };
    row[job.status] = (row[job.status] as number) + 1;
    if (job.status === "completed" && job.duration_ms !== null) {
      const ms = job.duration_ms;
      row.duration_count = (row.duration_count as number) + 1;
      row.duration_sum = (row.duration_sum as number) + ms;
      row.duration_min = row.duration_min === null ? ms : Math.min(row.duration_min as number, ms);
      row.duration_max = row.duration_max === null ? ms : Math.max(row.duration_max as number, ms);
      const histogram = row.histogram as Record<string, number>;
      histogram[bucketOf(ms)] = (histogram[bucketOf(ms)] ?? 0) + 1;
    }
    rows.set(key, row);
  }
  return [...rows.values()].sort((a, b) => (a.hour as number) - (b.hour as number) || String(a.connection_id).localeCompare(String(b.connection_id)));
}

async function rollupNow() {
  const { results } = await env.LEDGER.prepare(
    `SELECT * FROM job_stats_hourly WHERE connection_id IN (SELECT value FROM json_each(?1)) ORDER BY hour, connection_id`,
  )
    .bind(JSON.stringify(CONNECTIONS))
    .all<Record<string, unknown>>();
  return results.map((row): Record<string, unknown> => ({ ...row, histogram: JSON.parse(row.histogram as string) as Record<string, number> }));
}

describe("the hourly job stats rollup", () => {
  // 120 runs written through the ledger (insert, start) take longer than the default 5 s under load.
  it("matches a direct computation from the jobs after inserts, status changes and deletes", { timeout: 60_000 }, async () => {
    const random = sequence(42);
    const ids: string[] = [];
    const created = Array.from({ length: 120 }, () => START + Math.floor(random() * 6 * HOUR_MS));
    // Written 30 at a time side by side, in index order, so the ids below stay in creation order.
    for (let first = 0; first < created.length; first += 30) {
      const runs = await Promise.all(
        created
          .slice(first, first + 30)
          .map((createdAt, k) =>
            makeRun({ created_at: createdAt, started_at: createdAt, finished_at: null, status: "running" }, [
              { connection_id: CONNECTIONS[(first + k) % CONNECTIONS.length]!, status: (first + k) % 4 === 0 ? "pending" : "running", duration_ms: null },
            ]),
          ),
      );
      ids.push(...runs.map((run) => run.jobs[0]!.id));
    }
    expect(await rollupNow()).toEqual(expectedRollup(await jobsNow()));

    // The rollup's triggers on jobs are under test, so from here rows change directly, each kind of change once.
    // Jobs finish as run-writes finishes them: status and duration in one update.
    for (const [i, id] of ids.entries()) {
      if (i % 5 === 4) continue;
      const status: JobStatus = i % 7 === 0 ? "failed" : i % 11 === 0 ? "canceled" : "completed";
      const duration = Math.floor(50 + random() * random() * 400_000);
      await env.LEDGER.prepare("UPDATE jobs SET status = ?2, duration_ms = ?3, finished_at = created_at + ?3 WHERE id = ?1").bind(id, status, duration).run();
    }
    // A corrected duration and a completed job rerun to failed.
    await env.LEDGER.prepare("UPDATE jobs SET duration_ms = duration_ms * 3 WHERE id = ?1").bind(ids[1]).run();
    await env.LEDGER.prepare("UPDATE jobs SET status = 'failed' WHERE id = ?1").bind(ids[2]).run();
    expect(await rollupNow()).toEqual(expectedRollup(await jobsNow()));

    // Deletes, as retention makes them: the smallest and largest durations of their hours, and a whole hour.
    const extremes = await env.LEDGER.prepare(
      `SELECT id FROM jobs WHERE connection_id IN (SELECT value FROM json_each(?1)) AND status = 'completed'
        ORDER BY duration_ms LIMIT 3`,
    )
      .bind(JSON.stringify(CONNECTIONS))
      .all<{ id: string }>();
    const largest = await env.LEDGER.prepare(
      `SELECT id FROM jobs WHERE connection_id IN (SELECT value FROM json_each(?1)) AND status = 'completed'
        ORDER BY duration_ms DESC LIMIT 3`,
    )
      .bind(JSON.stringify(CONNECTIONS))
      .all<{ id: string }>();
    await env.LEDGER.prepare("DELETE FROM jobs WHERE id IN (SELECT value FROM json_each(?1))")
      .bind(JSON.stringify([...extremes.results, ...largest.results].map((r) => r.id)))
      .run();
    await env.LEDGER.prepare("DELETE FROM jobs WHERE connection_id = ?1 AND created_at >= ?2 AND created_at < ?3")
      .bind(CONNECTIONS[0], START, START + HOUR_MS)
      .run();
    const jobs = await jobsNow();
    const rollup = await rollupNow();
    expect(rollup).toEqual(expectedRollup(jobs));
    expect(rollup.some((row) => row.connection_id === CONNECTIONS[0] && row.hour === START)).toBe(false);

    // A window with partial hours at both ends: exact counts and averages, percentiles within tolerance.
    const window = { since: START + 20 * 60_000, until: START + 5 * HOUR_MS + 10 * 60_000 };
    const stats = await windowStats(env.LEDGER, window, CONNECTIONS);
    for (const connection of CONNECTIONS) {
      const inWindow = jobs.filter((j) => j.connection_id === connection && j.created_at >= window.since && j.created_at < window.until);
      const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, inWindow.filter((j) => j.status === s).length]));
      const durations = inWindow
        .filter((j) => j.status === "completed" && j.duration_ms !== null)
        .map((j) => j.duration_ms!)
        .sort((a, b) => a - b);
      const got = stats.perConnection.get(connection);
      expect(got?.jobs, connection).toEqual(counts);
      expect(got?.durations.count).toBe(durations.length);
      expect(got?.durations.averageMs).toBe(Math.round(durations.reduce((a, b) => a + b, 0) / durations.length));
      expect(got?.durations.minMs).toBe(durations[0]);
      expect(got?.durations.maxMs).toBe(durations.at(-1));
      for (const [percent, value] of [
        [50, got?.durations.p50Ms],
        [95, got?.durations.p95Ms],
      ] as const) {
        const exact = durations[nearestRank(durations.length, percent) - 1]!;
        const allowed = exact * PERCENTILE_TOLERANCE.relative + PERCENTILE_TOLERANCE.absoluteMs;
        expect(Math.abs((value ?? NaN) - exact), `${connection} p${percent}: ${value} vs ${exact}`).toBeLessThanOrEqual(allowed);
      }
    }
  });
});
