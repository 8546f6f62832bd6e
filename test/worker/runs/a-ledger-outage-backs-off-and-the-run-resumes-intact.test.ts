import { env, runInDurableObject } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { stepRetryDelay } from "../../../worker/runs/coordinator-config";
import { DEMO_EXPECTATIONS } from "../../../worker/sandbox/demo-data";
import {
  coordinatorStub,
  counters,
  countersOf,
  DEMO_IDS,
  driveRun,
  outcomesOf,
  resetWorld,
  runStatus,
  sandboxStats,
  startRun,
  stepRun,
  tuneRun,
} from "../factories";

const SLOW = { timeout: 60_000 };
// Far enough out that no alarm fires by itself while the test drives the steps.
const BASE_MS = 600_000;
const CAP_MS = 2_400_000;

// Every step flushes to D1, so every step meets the outage.
const OUTAGE_TUNING = { retryDelayMs: BASE_MS, maxRetryDelayMs: CAP_MS, flushEveryMs: 0 };

beforeEach(async () => {
  await resetWorld();
});

const alarmIn = (runId: string) =>
  runInDurableObject(coordinatorStub(runId), async (_instance, state) => ((await state.storage.getAlarm()) ?? Number.NaN) - Date.now());

describe("a failed coordinator step", () => {
  it("is retried after a delay that doubles per failure in a row, up to the cap", () => {
    const tuning = { retryDelayMs: 2_000, maxRetryDelayMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => stepRetryDelay(n, tuning))).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    // A cap below the base never shortens the base delay.
    expect(stepRetryDelay(3, { retryDelayMs: 10_000, maxRetryDelayMs: 5_000 })).toBe(10_000);
  });

  it("backs off through a ledger outage, then finishes with exact counters and no repeated write", SLOW, async () => {
    const run = await startRun({ type: "full", mode: "live", connection_ids: [DEMO_IDS.json] });
    await tuneRun(run.id, OUTAGE_TUNING);
    await stepRun(run.id, 2);
    // The outage itself: every flush (it always writes the job's counters) fails until the trigger is dropped.
    await env.LEDGER.exec("CREATE TRIGGER outage BEFORE UPDATE ON jobs BEGIN SELECT RAISE(ABORT, 'ledger unavailable'); END;");

    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await stepRun(run.id);
      delays.push(await alarmIn(run.id));
    }
    const expected = [BASE_MS, 2 * BASE_MS, CAP_MS, CAP_MS];
    delays.forEach((delay, i) => expect(Math.abs(delay - expected[i]!), `failure ${i + 1}: ${delay} ms`).toBeLessThan(5_000));
    expect(await runStatus(run.id)).toBe("running");

    await env.LEDGER.exec("DROP TRIGGER outage;");
    const done = await driveRun(run.id);
    const full = DEMO_EXPECTATIONS.full_run;
    expect(countersOf(done.jobs[0]!)).toEqual(
      counters({
        processed: 500,
        updated: full.would_update,
        skipped_no_change: full.skipped_no_change,
        missing_source: full.missing_source,
        missing_destination: full.missing_destination,
      }),
    );
    expect((await outcomesOf(done.jobs[0]!.id)).size).toBe(500);
    const stats = await sandboxStats();
    expect(stats.writes).toBe(full.would_update);
    expect(Math.max(...Object.values(stats.writes_by_serial))).toBe(1);
  });
});
