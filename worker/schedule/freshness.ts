import { Cron } from "croner";

// Freshness: whether the success a connection's schedule promises has arrived. Pure: the caller passes `now`.
export const FRESHNESS_STATES = ["on_time", "delayed", "overdue"] as const;
export type FreshnessState = (typeof FRESHNESS_STATES)[number];

const MINUTE_MS = 60_000;
// A run starts at its fire time and needs a while to finish: a quarter of the gap between fires, at least
// 5 minutes and at most an hour, before the missing success counts. An SLA is the owner's own tolerance: no grace.
const MIN_GRACE_MS = 5 * MINUTE_MS;
const MAX_GRACE_MS = 60 * MINUTE_MS;

export interface FreshnessFacts {
  /** 5-field UTC cron, or null. */
  schedule: string | null;
  enabled: boolean;
  /** Paused after failing too many runs in a row: the scheduler skips it until an operator resumes it. */
  paused: boolean;
  slaMinutes: number | null;
  /** The newest success that counts (ms), or null. */
  lastSuccessAt: number | null;
  /** When the clock (re)started: creation, a resume, or the last change of schedule, SLA, enabled or mode (ms). */
  since: number;
}

export interface Freshness {
  state: FreshnessState;
  lastSuccessAt: number | null;
  /** The next success is due by then; past it the connection is Delayed. */
  expectedBy: number;
  /** Past this with still no success, Overdue. */
  overdueAt: number;
  slaMinutes: number | null;
}

/**
 * Delayed once one expected success is missing, Overdue once two are: from the schedule, a success is due by
 * the first fire after the later of the last success and `since`, plus the grace (the second fire, for Overdue);
 * with an SLA, due SLA minutes after it (twice that, for Overdue). Null when no success is expected: disabled,
 * paused, unscheduled, or a cron that is invalid or never fires again.
 */
export function freshnessOf(facts: FreshnessFacts, now: number): Freshness | null {
  if (!facts.enabled || facts.paused || facts.schedule === null) return null;
  const from = Math.max(facts.lastSuccessAt ?? facts.since, facts.since);
  const deadlines = facts.slaMinutes === null ? scheduleDeadlines(facts.schedule, from) : slaDeadlines(facts.slaMinutes, from);
  if (deadlines === null) return null;
  const [expectedBy, overdueAt] = deadlines;
  const state: FreshnessState = now > overdueAt ? "overdue" : now > expectedBy ? "delayed" : "on_time";
  return { state, lastSuccessAt: facts.lastSuccessAt, expectedBy, overdueAt, slaMinutes: facts.slaMinutes };
}

function slaDeadlines(slaMinutes: number, from: number): [number, number] {
  return [from + slaMinutes * MINUTE_MS, from + 2 * slaMinutes * MINUTE_MS];
}

function scheduleDeadlines(schedule: string, from: number): [number, number] | null {
  const fires = nextTwoFires(schedule, from);
  if (fires === null) return null;
  const [first, second] = fires;
  const grace = Math.min(MAX_GRACE_MS, Math.max(MIN_GRACE_MS, Math.floor((second - first) / 4)));
  return [first + grace, second + grace];
}

// The first two fire times strictly after `from`, or null when the cron is invalid or stops firing.
function nextTwoFires(schedule: string, from: number): [number, number] | null {
  let cron: Cron;
  try {
    cron = new Cron(schedule, { mode: "5-part", timezone: "UTC", paused: true });
  } catch {
    // An invalid cron never starts a run, so it promises no success either.
    return null;
  }
  try {
    const first = cron.nextRun(new Date(from));
    const second = first === null ? null : cron.nextRun(first);
    return first === null || second === null ? null : [first.getTime(), second.getTime()];
  } finally {
    cron.stop();
  }
}
