import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { nearestRank } from "../../../worker/ledger/stats";
import { connectionWindowStats } from "../../../worker/ledger/stats-window";
import { PERCENTILE_TOLERANCE } from "../../../worker/stats/duration-histogram";
import { makeRun } from "../factories";

const HOUR_MS = 3_600_000;
const NOW = Date.UTC(2026, 10, 22, 12, 20);
// Starts and ends mid-hour, so the edge hours are read from jobs and the rest from the rollup.
const WINDOW = { since: NOW - 86_400_000, until: NOW };

function expected(durations: number[], percent: number): number {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[nearestRank(sorted.length, percent) - 1]!;
}

function expectNear(actual: number | null | undefined, exact: number, label: string): void {
  expect(actual, label).not.toBeNull();
  const allowed = exact * PERCENTILE_TOLERANCE.relative + PERCENTILE_TOLERANCE.absoluteMs;
  expect(Math.abs((actual ?? NaN) - exact), `${label}: ${actual} vs ${exact}`).toBeLessThanOrEqual(allowed);
}

// Durations per connection that make p50 and p95 land on different values, from a small generator.
function durationsFor(index: number): number[] {
  const count = 1 + (index % 7);
  return Array.from({ length: count }, (_, i) => ((index * 37 + i * 101) % 900) * 53 + 100 * (i + 1));
}

async function seedConnections(count: number, prefix: string): Promise<Map<string, number[]>> {
  const byConnection = new Map<string, number[]>();
  const runs: Array<{ id: string; duration: number; createdAt: number }> = [];
  for (let c = 0; c < count; c++) {
    const id = `${prefix}_${c}`;
    const durations = durationsFor(c);
    byConnection.set(id, durations);
    // Spread over the whole window, edge hours included.
    for (const [i, duration] of durations.entries()) runs.push({ id, duration, createdAt: NOW - 10_000 - ((c * 7 + i) % 24) * HOUR_MS - i * 1_000 });
  }
  // Written 30 at a time side by side: the ledger's writes take a few round trips per run.
  for (let first = 0; first < runs.length; first += 30) {
    await Promise.all(
      runs
        .slice(first, first + 30)
        .map(({ id, duration, createdAt }) =>
          makeRun({ created_at: createdAt, status: "completed" }, [{ connection_id: id, connection_name: id, duration_ms: duration }]),
        ),
    );
  }
  return byConnection;
}

// Some 180 runs written through the ledger (insert, start, finish) take longer than the default 5 s under load.
const SEEDING = { timeout: 60_000 };

describe("per-connection percentiles", () => {
  for (const [label, count, prefix] of [
    ["a few", 6, "few"],
    ["many", 45, "many"],
  ] as const) {
    it(`are the nearest-rank values within the documented tolerance with ${label} connections`, SEEDING, async () => {
      const seeded = await seedConnections(count, prefix);
      const stats = await connectionWindowStats(env.LEDGER, WINDOW, [...seeded.keys()]);
      expect(stats.size).toBe(count);
      for (const [id, values] of seeded) {
        const durations = stats.get(id)?.durations;
        expect(durations?.count, id).toBe(values.length);
        expect(durations?.minMs, id).toBe(Math.min(...values));
        expect(durations?.maxMs, id).toBe(Math.max(...values));
        expectNear(durations?.p50Ms, expected(values, 50), `${id} p50`);
        expectNear(durations?.p95Ms, expected(values, 95), `${id} p95`);
      }
    });
  }
});
