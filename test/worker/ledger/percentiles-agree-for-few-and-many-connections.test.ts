import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { connectionWindowQuery, fillPercentiles, nearestRank, runQueries } from "../../../worker/ledger/stats";
import { makeJob, makeRun } from "../factories";

const NOW = Date.UTC(2026, 10, 22, 12);
const WINDOW = { since: NOW - 86_400_000, until: NOW };

function expected(durations: number[], percent: number): number {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[nearestRank(sorted.length, percent) - 1]!;
}

// Durations per connection that make p50 and p95 land on different values, from a small generator.
function durationsFor(index: number): number[] {
  const count = 1 + (index % 7);
  return Array.from({ length: count }, (_, i) => ((index * 37 + i * 101) % 900) + 100 * (i + 1));
}

async function seedConnections(count: number, prefix: string): Promise<Map<string, number[]>> {
  const byConnection = new Map<string, number[]>();
  for (let c = 0; c < count; c++) {
    const id = `${prefix}_${c}`;
    const durations = durationsFor(c);
    byConnection.set(id, durations);
    for (const [i, duration] of durations.entries()) {
      const run = await makeRun({ created_at: NOW - 3_600_000 - i * 1_000, status: "completed" });
      await makeJob(run, { connection_id: id, connection_name: id, duration_ms: duration });
    }
  }
  return byConnection;
}

async function percentilesOf(ids: string[]) {
  const [, durations] = await runQueries(env.LEDGER, connectionWindowQuery(env.LEDGER, WINDOW, ids));
  await fillPercentiles(env.LEDGER, WINDOW, null, durations);
  return durations;
}

describe("per-connection percentiles", () => {
  it("are the nearest-rank values with a few connections (one lookup per percentile)", async () => {
    const seeded = await seedConnections(6, "few");
    const durations = await percentilesOf([...seeded.keys()]);
    for (const [id, values] of seeded) {
      expect(durations.get(id), id).toMatchObject({ count: values.length, p50Ms: expected(values, 50), p95Ms: expected(values, 95) });
    }
  });

  it("are the same values with many connections (one window-function statement)", async () => {
    const seeded = await seedConnections(45, "many");
    const durations = await percentilesOf([...seeded.keys()]);
    expect(durations.size).toBe(45);
    for (const [id, values] of seeded) {
      expect(durations.get(id), id).toMatchObject({ count: values.length, p50Ms: expected(values, 50), p95Ms: expected(values, 95) });
    }
  });
});
