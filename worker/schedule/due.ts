import { Cron } from "croner";
import type { TickKey } from "../ledger/schedule-ticks";
import { errorMessage } from "../../shared/lang";
import { log } from "../observability/log";

// How far back a late or missed trigger still catches up. Older ticks are let go: a schedule that was
// down for an hour should start one run when it is back, not sixty.
export const CATCH_UP_WINDOW_MS = 5 * 60_000;

// A minute-level cron has at most one tick a minute; the cap only guards the loop.
const MAX_TICKS = Math.ceil(CATCH_UP_WINDOW_MS / 60_000) + 1;

/**
 * The due times of a 5-field UTC cron in (reference − window, reference], oldest first, or null when the
 * expression is not a valid 5-field cron.
 */
export function dueTicks(schedule: string, reference: number, windowMs: number = CATCH_UP_WINDOW_MS): number[] | null {
  let cron: Cron;
  try {
    cron = new Cron(schedule, { mode: "5-part", timezone: "UTC", paused: true });
  } catch (err) {
    log.warn("a schedule is not a valid cron", { schedule, error: errorMessage(err) });
    return null;
  }
  try {
    const ticks: number[] = [];
    let next = cron.nextRun(new Date(reference - windowMs));
    while (next !== null && next.getTime() <= reference && ticks.length < MAX_TICKS) {
      ticks.push(next.getTime());
      next = cron.nextRun(next);
    }
    return ticks;
  } finally {
    cron.stop();
  }
}

export interface ClaimedTicks {
  /** The tick that starts a run. */
  latest: TickKey;
  /** Earlier ticks claimed in the same catch-up: recorded as skipped, never stacked as extra runs. */
  superseded: TickKey[];
}

/** Per connection, which of the ticks this trigger claimed starts a run. */
export function planClaimedTicks(claimed: readonly TickKey[]): Map<string, ClaimedTicks> {
  const plans = new Map<string, ClaimedTicks>();
  for (const tick of [...claimed].sort((a, b) => a.dueAt - b.dueAt)) {
    const plan = plans.get(tick.connectionId);
    if (plan === undefined) {
      plans.set(tick.connectionId, { latest: tick, superseded: [] });
    } else {
      plan.superseded.push(plan.latest);
      plan.latest = tick;
    }
  }
  return plans;
}

/** Whether a 5-field UTC cron fires at `dueAt` (a minute). */
export function firesAt(schedule: string, dueAt: number): boolean {
  return dueTicks(schedule, dueAt, 60_000)?.includes(dueAt) ?? false;
}
