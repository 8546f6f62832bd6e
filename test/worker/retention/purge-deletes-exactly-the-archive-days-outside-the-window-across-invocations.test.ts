import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { listPasses } from "../../../worker/ledger/retention";
import { runRetention, type PassProgress, type RetentionResult } from "../../../worker/retention/retention-pass";
import { DAY_MS } from "../../../worker/stats/time-range";
import { clearHistory, countHistory, emptyBucket, listKeys, makeArchivedHistory, makeHistory, setPlan, steppingClock } from "../factories";

// 2026-11-22 03:17 UTC; professional keeps 30 days, so the purge line is 2026-10-23T00:00Z: every archive
// object under jobs/2026-10-22/ and before goes, everything under jobs/2026-10-23/ and after stays.
const NOW = Date.UTC(2026, 10, 22, 3, 17);
const CUTOFF = Date.UTC(2026, 9, 23);

const archive = () => env.ARCHIVE;

async function sizes(keys: string[]): Promise<number> {
  let total = 0;
  for (const key of keys) total += (await archive().head(key))!.size;
  return total;
}

/** Daily trigger first, then minute triggers until the pass is done; the pass's progress after each. */
async function runUntilDone(options: { budgetMs: number; jobBatch: number; rowBatch: number; archiveBatch: number }) {
  const clock = steppingClock(NOW, 5);
  const results: RetentionResult[] = [];
  const progress: PassProgress[] = [];
  for (let i = 0; i < 300; i++) {
    const result = await runRetention(env, { ...options, now: clock, mayStart: i === 0, target: null });
    results.push(result);
    progress.push(JSON.parse((await listPasses(env.LEDGER, 1))[0]!.progress_json) as PassProgress);
    if (result.status !== "in_progress") return { results, progress };
  }
  throw new Error("the pass never finished");
}

beforeEach(async () => {
  await clearHistory();
  await emptyBucket(archive());
  await setPlan({ plan: "professional" });
});

describe("the retention pass on the R2 archive", () => {
  it("deletes every object of the days before the window in small batches over several invocations, and nothing else", async () => {
    const old = [
      await makeArchivedHistory(CUTOFF - 9 * DAY_MS, { archiveObjects: 5 }),
      await makeArchivedHistory(CUTOFF - 9 * DAY_MS + 3_600_000, { archiveObjects: 4 }),
      await makeArchivedHistory(CUTOFF - 4 * DAY_MS, { archiveObjects: 3 }),
      // The newest expired moment: its day is the last one before the line.
      await makeArchivedHistory(CUTOFF - 1, { archiveObjects: 6 }),
    ];
    // A job from before the archive: its outcomes and logs are D1 rows, purged as they always were.
    const legacy = await makeHistory(CUTOFF - 2 * DAY_MS, { logLines: 4, outcomes: 3 });
    const kept = [await makeArchivedHistory(CUTOFF, { archiveObjects: 5 }), await makeArchivedHistory(CUTOFF + 5 * DAY_MS, { archiveObjects: 2 })];
    // Keys outside the jobs/<YYYY-MM-DD>/ layout are not the archive's to delete.
    const strays = ["jobs/index.json", "jobs/tmp/upload-1", "exports/2026-10-01/manifest.json"];
    for (const key of strays) await archive().put(key, "not an archived job");
    const oldKeys = old.flatMap((h) => h.archiveKeys);
    const keptKeys = kept.flatMap((h) => h.archiveKeys);
    const oldBytes = await sizes(oldKeys);

    // Two keys per list and delete call and a 60 ms budget at 5 ms per clock read: many invocations.
    const { results, progress } = await runUntilDone({ budgetMs: 60, jobBatch: 2, rowBatch: 3, archiveBatch: 2 });

    expect(results.at(-1)?.status).toBe("completed");
    expect(results.length).toBeGreaterThan(2);
    // At least one invocation stopped inside a day and the next one went on after the last key it deleted.
    expect(progress.some((p) => p.phase === "archive" && p.archive_cursor?.after != null)).toBe(true);
    expect((await listKeys(archive())).sort()).toEqual([...keptKeys, ...strays].sort());

    const summed = { days: 0, objects: 0, bytes: 0 };
    for (const r of results) for (const k of ["days", "objects", "bytes"] as const) summed[k] += r.archiveDeleted[k];
    expect(summed).toEqual({ days: 3, objects: 18, bytes: oldBytes });
    const [pass] = await listPasses(env.LEDGER, 1);
    expect(JSON.parse(pass!.archive_deleted_json)).toEqual(summed);
    expect(results.at(-1)?.totalArchiveDeleted).toEqual(summed);

    // The D1 side keeps exactly the window too: the kept jobs, no legacy rows.
    const jobs = await env.LEDGER.prepare("SELECT id FROM jobs ORDER BY created_at").all<{ id: string }>();
    expect(jobs.results.map((j) => j.id)).toEqual(kept.map((h) => h.job.id));
    expect(await countHistory()).toMatchObject({ logs: 0, record_outcomes: 0, runs: 2 });
    const legacyRows = { logs: 0, record_outcomes: 0 };
    for (const r of results) for (const t of ["logs", "record_outcomes"] as const) legacyRows[t] += r.deleted[t];
    expect(legacyRows).toEqual({ logs: 4, record_outcomes: 3 });
    expect(jobs.results.map((j) => j.id)).not.toContain(legacy.job.id);
  });

  it("keeps the archive of a job still running, however old, and deletes the rest of its day", async () => {
    const stuck = await makeHistory(CUTOFF - 10 * DAY_MS, { status: "running", archiveObjects: 3 });
    const done = await makeArchivedHistory(CUTOFF - 10 * DAY_MS + 60_000, { archiveObjects: 4 });

    const { results } = await runUntilDone({ budgetMs: 60_000, jobBatch: 100, rowBatch: 1_000, archiveBatch: 1_000 });

    expect(results.at(-1)?.status).toBe("completed");
    expect(await listKeys(archive())).toEqual(stuck.archiveKeys);
    expect(results.at(-1)?.archiveDeleted).toMatchObject({ objects: 4 });
    expect(done.archiveKeys).toHaveLength(4);
  });

  it("keeps every call within R2's thousand keys whatever batch is configured, and a second run the same day finds nothing", async () => {
    const expired = await makeArchivedHistory(CUTOFF - 3 * DAY_MS, { archiveObjects: 7 });

    // R2 refuses a listing of more than 1,000 keys: a batch of 5,000 works only because every call is capped.
    const { results } = await runUntilDone({ budgetMs: 60_000, jobBatch: 100, rowBatch: 1_000, archiveBatch: 5_000 });
    expect(results.at(-1)?.archiveDeleted).toMatchObject({ days: 1, objects: 7 });
    expect(await listKeys(archive())).toEqual([]);
    expect(expired.archiveKeys).toHaveLength(7);

    const again = await runRetention(env, { now: () => NOW + 60_000, mayStart: true, target: null });
    expect(again.status).toBe("up_to_date");
    expect(again.archiveDeleted).toEqual({ days: 0, objects: 0, bytes: 0 });
  });
});
