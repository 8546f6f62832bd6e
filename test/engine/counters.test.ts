import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addTraffic, applyOutcome, checkInvariant, emptyCounters, isEmpty, mergeCounters, skippedTotal, type JobCounters } from "../../worker/engine/counters";
import { LIVE_ACTIONS as LIVE_ONLY, RECORD_ACTIONS, type RecordAction } from "../../worker/engine/reconcile";

const DRY_ACTIONS = RECORD_ACTIONS.filter((a) => !(LIVE_ONLY as readonly RecordAction[]).includes(a));
const LIVE_ACTIONS = RECORD_ACTIONS.filter((a) => a !== "would_update");

function fold(outcomes: Array<[RecordAction, number]>, start: JobCounters = emptyCounters()): JobCounters {
  // Each outcome with the bytes of its requests: sent, and twice that received.
  return outcomes.reduce((counters, [action, bytes]) => addTraffic(applyOutcome(counters, action), bytes, 2 * bytes), start);
}

const outcomes = (actions: readonly RecordAction[]) => fc.array(fc.tuple(fc.constantFrom(...actions), fc.nat({ max: 10_000 })), { maxLength: 200 });

describe("job counters", () => {
  it("count each outcome once and add its bytes", () => {
    const counters = fold([
      ["updated", 120],
      ["skipped_rule", 0],
      ["updated", 80],
      ["failed", 0],
    ]);
    expect(counters).toMatchObject({ processed: 4, updated: 2, skipped_rule: 1, failed: 1, bytes_sent: 200, bytes_received: 400 });
    expect(
      skippedTotal(
        fold([
          ["skipped_rule", 0],
          ["skipped_no_change", 0],
        ]),
      ),
    ).toBe(2);
  });

  it("do not change the counters they are given", () => {
    const start = emptyCounters();
    applyOutcome(start, "updated");
    addTraffic(start, 5, 5);
    expect(start).toEqual(emptyCounters());
  });

  it("tell a checkpoint with nothing to count from one with a single byte", () => {
    expect(isEmpty(emptyCounters())).toBe(true);
    expect(isEmpty(addTraffic(emptyCounters(), 0, 1))).toBe(false);
    expect(isEmpty(applyOutcome(emptyCounters(), "skipped_rule"))).toBe(false);
  });

  it("survive a JSON checkpoint unchanged", () => {
    const counters = fold([
      ["would_update", 0],
      ["missing_source", 0],
    ]);
    expect(JSON.parse(JSON.stringify(counters))).toEqual(counters);
  });

  it("always add up, however outcomes are split into slices and merged", () => {
    fc.assert(
      fc.property(fc.constantFrom(DRY_ACTIONS, LIVE_ACTIONS).chain(outcomes), fc.nat(), (list, cut) => {
        const at = list.length === 0 ? 0 : cut % (list.length + 1);
        const whole = fold(list);
        const merged = mergeCounters(fold(list.slice(0, at)), fold(list.slice(at)));
        expect(checkInvariant(whole)).toEqual({ ok: true });
        expect(merged).toEqual(whole);
        expect(whole.processed).toBe(list.length);
      }),
    );
  });

  it("report a broken invariant", () => {
    const counters = { ...fold([["updated", 0]]), processed: 5 };
    expect(checkInvariant(counters)).toEqual({ ok: false, message: "processed is 5 but the outcomes add up to 1" });
    expect(checkInvariant({ ...emptyCounters(), failed: -1, processed: -1 }).ok).toBe(false);
    expect(
      checkInvariant(
        fold([
          ["updated", 0],
          ["would_update", 0],
        ]),
      ).ok,
    ).toBe(false);
  });

  it("count drifted, verified and verify mismatch like any action, but only in a live job", () => {
    const live = fold([
      ["verified", 0],
      ["verify_mismatch", 0],
      ["drifted", 0],
      ["updated", 0],
    ]);
    expect(live).toMatchObject({ processed: 4, verified: 1, verify_mismatch: 1, drifted: 1, updated: 1 });
    expect(checkInvariant(live)).toEqual({ ok: true });
    expect(DRY_ACTIONS).not.toContain("drifted");
    for (const action of ["drifted", "verified", "verify_mismatch"] as const) {
      expect(
        checkInvariant(
          fold([
            [action, 0],
            ["would_update", 0],
          ]),
        ),
      ).toEqual({
        ok: false,
        message: `both would_update and ${action} are counted, but a job is either dry or live`,
      });
    }
    expect(checkInvariant({ ...live, processed: 3 }).ok).toBe(false);
  });
});
