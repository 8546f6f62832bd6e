import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { readLogExport } from "../../../worker/ledger/log-exports";
import { runRetention } from "../../../worker/retention/retention-pass";
import { bucketTarget, clearHistory, countHistory, emptyBucket, exportedArchiveKey, listKeys, makeArchivedHistory, makeHistory, setPlan } from "../factories";

const NOW = Date.UTC(2026, 10, 22, 3, 17);
const OLD_DAY_1 = Date.UTC(2026, 9, 20, 8);
const OLD_DAY_2 = Date.UTC(2026, 9, 21, 9);
const YESTERDAY = Date.UTC(2026, 10, 21, 10);

beforeEach(async () => {
  await clearHistory();
  await setPlan({ plan: "professional" });
  await emptyBucket(env.ARCHIVE);
  await emptyBucket(env.LOG_EXPORT);
});

describe("an archive object the export target refuses", () => {
  it("keeps that day and every later one, in D1 and in the archive, and the retry copies only what is missing", async () => {
    const day1 = await makeArchivedHistory(OLD_DAY_1, { archiveObjects: 2 });
    const day2 = await makeArchivedHistory(OLD_DAY_2, { archiveObjects: 4 });
    // A legacy job on the blocked day: its D1 logs and outcomes stay with it.
    const legacy = await makeHistory(OLD_DAY_2 + 60_000, { logLines: 3, outcomes: 2 });
    const recent = await makeArchivedHistory(YESTERDAY, { archiveObjects: 1 });
    // The third of its four objects in listing order (index.json, logs/…1, outcomes/…1, outcomes/…2).
    const copies = day2.archiveKeys.map((key) => exportedArchiveKey("exports/", key));
    const refusedKey = copies[2]!;
    let outage = true;
    const target = bucketTarget(env.LOG_EXPORT, "exports/", (key) => outage && key === refusedKey);

    const failed = await runRetention(env, { now: () => NOW, mayStart: true, target, archiveBatch: 2 });

    expect(failed.status).toBe("failed");
    expect(failed.purgeBefore).toBe(Date.UTC(2026, 9, 21));
    expect(failed.error).toContain(refusedKey);
    expect(await readLogExport(env.LEDGER, "2026-10-21")).toMatchObject({ status: "failed", archive_objects: 2 });
    expect(failed.archiveDeleted).toMatchObject({ days: 1, objects: 2 });
    expect((await listKeys(env.ARCHIVE)).sort()).toEqual([...day2.archiveKeys, ...recent.archiveKeys].sort());
    const jobs = await env.LEDGER.prepare("SELECT id FROM jobs ORDER BY created_at").all<{ id: string }>();
    expect(jobs.results.map((j) => j.id)).toEqual([day2.job.id, legacy.job.id, recent.job.id]);
    expect(await countHistory()).toMatchObject({ logs: 3, record_outcomes: 2 });
    expect(day1.archiveKeys).toHaveLength(2);

    outage = false;
    const retried = await runRetention(env, { now: () => NOW + 3_600_000, mayStart: true, target, archiveBatch: 2 });

    expect(retried.status).toBe("completed");
    const attempts = (i: number) => target.attempts.filter((k) => k === copies[i]).length;
    // The two objects copied before the failure were not copied again; the refused one was retried once.
    expect([0, 1, 2, 3].map(attempts)).toEqual([1, 1, 2, 1]);
    expect(await readLogExport(env.LEDGER, "2026-10-21")).toMatchObject({ status: "succeeded", archive_objects: 4 });
    expect(await listKeys(env.ARCHIVE)).toEqual(recent.archiveKeys);
    expect(await countHistory()).toMatchObject({ jobs: 1, logs: 0, record_outcomes: 0 });
  });
});
