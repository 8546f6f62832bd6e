import { beforeEach, expect, it } from "vitest";
import { DEMO_EXPECTATIONS, DEMO_SINGLE_SERIAL } from "../../../worker/sandbox/demo-data";
import { counters, countersOf, resetWorld, runToEnd, sandboxStats } from "../factories";

// The README's order on a fresh demo: Single + Dry, Single + Live on DEV-00001, Full + Dry, Full + Live, over all
// three connections as the dashboard's Run form starts them. The README prints these numbers.
const { full_dry_each: DRY, full_live_first_updated: WRITTEN, full_live_after_skipped_no_change: NOTHING_LEFT } = DEMO_EXPECTATIONS.walkthrough;

beforeEach(async () => {
  await resetWorld();
});

function totals(jobs: ReadonlyArray<ReturnType<typeof countersOf> & { in_scope: number | null }>) {
  const sum = (pick: (job: (typeof jobs)[number]) => number) => jobs.reduce((n, job) => n + pick(job), 0);
  return {
    in_scope: sum((j) => j.in_scope ?? 0),
    would_update: sum((j) => j.would_update),
    updated: sum((j) => j.updated),
    skipped: sum((j) => j.skipped_no_change + j.skipped_rule),
    missing_source: sum((j) => j.missing_source),
    missing_destination: sum((j) => j.missing_destination),
  };
}

it("Single + Dry, Single + Live, Full + Dry, Full + Live give 141 to write, then 141 written once", { timeout: 180_000 }, async () => {
  const singleDry = await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "dry" });
  expect(singleDry.jobs.map(countersOf)).toEqual(Array(3).fill(counters({ processed: 1, would_update: 1 })));

  const singleLive = await runToEnd({ type: "single", serial: DEMO_SINGLE_SERIAL, mode: "live" });
  expect(singleLive.jobs.map(countersOf)).toEqual([
    counters({ processed: 1, updated: 1 }),
    counters({ processed: 1, skipped_no_change: 1 }),
    counters({ processed: 1, skipped_no_change: 1 }),
  ]);

  const fullDry = await runToEnd({ type: "full", mode: "dry" });
  for (const job of fullDry.jobs) {
    expect({ in_scope: job.in_scope, ...countersOf(job) }, job.connection_name).toEqual({
      in_scope: DRY.in_scope,
      ...counters({
        processed: 500,
        would_update: DRY.would_update,
        skipped_no_change: DRY.skipped_no_change,
        missing_source: DRY.missing_source,
        missing_destination: DRY.missing_destination,
      }),
    });
  }
  expect(DRY).toMatchObject({ would_update: 141, skipped_no_change: 326, missing_source: 8, missing_destination: 25 });
  expect(totals(fullDry.jobs)).toEqual({ in_scope: 1500, would_update: 423, updated: 0, skipped: 978, missing_source: 24, missing_destination: 75 });

  const fullLive = await runToEnd({ type: "full", mode: "live" });
  const [first, ...after] = fullLive.jobs;
  expect(countersOf(first!)).toEqual(
    counters({ processed: 500, updated: WRITTEN, skipped_no_change: DRY.skipped_no_change, missing_source: 8, missing_destination: 25 }),
  );
  for (const job of after) {
    expect(countersOf(job), job.connection_name).toEqual(
      counters({ processed: 500, skipped_no_change: NOTHING_LEFT, missing_source: 8, missing_destination: 25 }),
    );
  }
  expect(NOTHING_LEFT).toBe(467);
  expect(totals(fullLive.jobs)).toEqual({ in_scope: 1500, would_update: 0, updated: 141, skipped: 1260, missing_source: 24, missing_destination: 75 });
  expect((await sandboxStats()).writes).toBe(1 + 141);
});
