import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { listPasses } from "../../../worker/ledger/retention";
import { runRetention, type RetentionResult } from "../../../worker/retention/retention-pass";
import { DAY_MS } from "../../../worker/stats/time-range";
import { clearHistory, countHistory, emptyBucket, HISTORY_TABLES, listKeys, makeHistory, setPlan, steppingClock, type TableCounts } from "../factories";

// 2026-11-22 03:17 UTC, when the daily trigger fires. Professional keeps 30 days: the purge line is
// 2026-10-23T00:00Z, so anything created before it goes and anything at or after it stays.
const NOW = Date.UTC(2026, 10, 22, 3, 17);
const CUTOFF = Date.UTC(2026, 9, 23);

function perTable(n: number, overrides: Partial<TableCounts> = {}): TableCounts {
  const counts = Object.fromEntries(HISTORY_TABLES.map((t) => [t, n])) as TableCounts;
  return { ...counts, ...overrides };
}

async function seedBothSides(oldRuns: number, keptRuns: number) {
  const old = [];
  const kept = [];
  // Each job also has objects in the R2 archive, under its creation day's prefix.
  const history = { logLines: 7, archiveObjects: 2 };
  for (let i = 0; i < oldRuns; i++) old.push(await makeHistory(CUTOFF - DAY_MS * (1 + (i % 5)) - 1_000 * i, history));
  // The newest expired moment and the oldest kept one sit right at the line.
  old.push(await makeHistory(CUTOFF - 1, history));
  kept.push(await makeHistory(CUTOFF, history));
  for (let i = 1; i < keptRuns; i++) kept.push(await makeHistory(CUTOFF + DAY_MS * i, history));
  return { old, kept };
}

/** Daily trigger first, then minute triggers until the pass is done, as production does. */
async function runUntilDone(options: { budgetMs: number; jobBatch: number; rowBatch: number }): Promise<RetentionResult[]> {
  const clock = steppingClock(NOW, 5);
  const results: RetentionResult[] = [];
  for (let i = 0; i < 200; i++) {
    const result = await runRetention(env, { ...options, now: clock, mayStart: i === 0, target: null });
    results.push(result);
    if (result.status !== "in_progress") return results;
  }
  throw new Error("the pass never finished");
}

beforeEach(async () => {
  await clearHistory();
  await emptyBucket(env.ARCHIVE);
  await setPlan({ plan: "professional" });
});

describe("the retention pass", () => {
  it("deletes every kind of history created before the window and nothing after it", async () => {
    const { old, kept } = await seedBothSides(4, 3);
    expect(await countHistory()).toEqual(perTable(8, { logs: 56, record_outcomes: 16, delivery_attempts: 16 }));

    const [result] = await runUntilDone({ budgetMs: 60_000, jobBatch: 100, rowBatch: 1_000 });
    expect(result?.status).toBe("completed");
    expect(result?.cutoff).toBe(CUTOFF);
    expect(result?.deleted).toEqual(perTable(5, { logs: 35, record_outcomes: 10, delivery_attempts: 10 }));
    expect(await countHistory()).toEqual(perTable(3, { logs: 21, record_outcomes: 6, delivery_attempts: 6 }));

    const remainingRuns = await env.LEDGER.prepare("SELECT id FROM runs ORDER BY created_at").all<{ id: string }>();
    expect(remainingRuns.results.map((r) => r.id)).toEqual(kept.map((h) => h.run.id));
    expect(old).toHaveLength(5);
    // The full-text index lost the deleted lines too: only the kept jobs' lines are found.
    const found = await env.LEDGER.prepare("SELECT COUNT(*) AS n FROM logs_fts WHERE logs_fts MATCH 'line'").first<{ n: number }>();
    expect(found?.n).toBe(21);
    expect((await listKeys(env.ARCHIVE)).sort()).toEqual(kept.flatMap((h) => h.archiveKeys).sort());
    expect(result?.archiveDeleted.objects).toBe(10);
  });

  // Seeding fourteen days of history and some forty invocations take seconds on a loaded machine.
  it("works through a backlog in small statements over several invocations and records one pass", { timeout: 30_000 }, async () => {
    await seedBothSides(12, 2);
    // 5 ms per clock read and a 60 ms budget: each invocation gets through only a few statements.
    const results = await runUntilDone({ budgetMs: 60, jobBatch: 2, rowBatch: 3 });

    expect(results.length).toBeGreaterThan(3);
    expect(results.slice(0, -1).every((r) => r.status === "in_progress")).toBe(true);
    expect(results.at(-1)?.status).toBe("completed");
    const passes = await listPasses(env.LEDGER, 10);
    expect(passes).toHaveLength(1);
    expect(passes[0]?.invocations).toBe(results.length);
    // Per-invocation counts add up to the pass's total, which is exactly what was expired.
    const summed = perTable(0);
    for (const r of results) for (const t of HISTORY_TABLES) summed[t] += r.deleted[t];
    expect(summed).toEqual(perTable(13, { logs: 91, record_outcomes: 26, delivery_attempts: 26 }));
    expect(JSON.parse(passes[0]!.deleted_json)).toEqual(summed);
    expect(await countHistory()).toEqual(perTable(2, { logs: 14, record_outcomes: 4, delivery_attempts: 4 }));
    expect(await listKeys(env.ARCHIVE)).toHaveLength(4);
    expect(results.reduce((sum, r) => sum + r.archiveDeleted.objects, 0)).toBe(26);
  });

  it("is safe to run twice: the second run the same day changes nothing", async () => {
    await seedBothSides(3, 2);
    await runUntilDone({ budgetMs: 60_000, jobBatch: 100, rowBatch: 1_000 });
    const after = await countHistory();

    const again = await runRetention(env, { now: () => NOW + 60_000, mayStart: true, target: null });
    expect(again.status).toBe("up_to_date");
    expect(again.deleted).toEqual(perTable(0));
    expect(await countHistory()).toEqual(after);
    expect(await listPasses(env.LEDGER, 10)).toHaveLength(1);
  });

  it("keeps runs and jobs that are still active, however old", async () => {
    const stuck = await makeHistory(CUTOFF - 10 * DAY_MS, { status: "running" });
    await makeHistory(CUTOFF - 10 * DAY_MS);
    const [result] = await runUntilDone({ budgetMs: 60_000, jobBatch: 100, rowBatch: 1_000 });
    expect(result?.deleted.jobs).toBe(1);
    const jobs = await env.LEDGER.prepare("SELECT id FROM jobs").all<{ id: string }>();
    expect(jobs.results.map((j) => j.id)).toEqual([stuck.job.id]);
  });

  it("uses the plan's window: enterprise keeps 90 days, a custom plan its own number", async () => {
    await makeHistory(NOW - 45 * DAY_MS);
    await setPlan({ plan: "enterprise" });
    const enterprise = await runRetention(env, { now: () => NOW, mayStart: true, target: null });
    expect(enterprise.cutoff).toBe(Date.UTC(2026, 10, 22) - 90 * DAY_MS);
    expect(enterprise.deleted.jobs).toBe(0);

    await setPlan({ plan: "custom", custom_days: 7 });
    const custom = await runRetention(env, { now: () => NOW, mayStart: true, target: null });
    expect(custom.cutoff).toBe(Date.UTC(2026, 10, 22) - 7 * DAY_MS);
    expect(custom.deleted.jobs).toBe(1);
  });

  it("lets the minute trigger continue a pass but never start one", async () => {
    await makeHistory(CUTOFF - DAY_MS);
    const minute = await runRetention(env, { now: () => NOW, mayStart: false, target: null });
    expect(minute.status).toBe("idle");
    expect((await countHistory()).jobs).toBe(1);
  });
});
