import type { FreshnessView } from "../../../worker/schemas/types";

// A connection's freshness changes by the clock alone at its deadlines: On time turns Delayed after `expected_by`,
// Delayed turns Overdue after `overdue_at`. A page showing it asks the server again then, for its judgment with any
// success since, rather than counting on with the browser's clock, which cannot know of a success that arrived meanwhile.

// Asked a moment after the deadline, so the server has passed it too.
export const AFTER_DEADLINE_MS = 1_000;
// A server whose clock is behind the browser's may still judge a passed deadline unreached: asked again after this.
export const PASSED_DEADLINE_RETRY_MS = 15_000;
// setTimeout fires at once beyond about 24.8 days; a later deadline is looked at again a day later.
const LONGEST_WAIT_MS = 24 * 60 * 60 * 1000;

/** The nearest deadline at which one of these connections' freshness changes, or null when none will by the clock. */
export function nextFreshnessDeadline(items: ReadonlyArray<{ freshness?: FreshnessView | null }>): number | null {
  let next: number | null = null;
  for (const { freshness } of items) {
    if (!freshness || freshness.state === "overdue") continue;
    const deadline = Date.parse(freshness.state === "on_time" ? freshness.expected_by : freshness.overdue_at);
    if (Number.isFinite(deadline) && (next === null || deadline < next)) next = deadline;
  }
  return next;
}

/** How long to wait before reading these connections again for their freshness; null when nothing changes by the clock. */
export function freshnessRecheckDelay(items: ReadonlyArray<{ freshness?: FreshnessView | null }>, now: number): number | null {
  const deadline = nextFreshnessDeadline(items);
  if (deadline === null) return null;
  const wait = deadline + AFTER_DEADLINE_MS - now;
  return wait > 0 ? Math.min(wait, LONGEST_WAIT_MS) : PASSED_DEADLINE_RETRY_MS;
}
