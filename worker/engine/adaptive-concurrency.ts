// How many requests a job keeps in flight, within the connection's concurrency: halved when the destination
// answers 429/503, times out or slows well past its recent latency (once for the requests already let through);
// one more after a window of healthy answers (additive increase, multiplicative decrease). Pure: times come from
// the caller's runtime.

export interface AdaptiveConcurrencyState {
  limit: number;
  // Latency of healthy answers: a slow average that follows drops at once (the usual), and a quick one (now).
  usual_ms: number | null;
  recent_ms: number | null;
  // Answers to requests sent since the last change: only those say anything about the current limit.
  since_change: number;
  healthy: number;
  changed_at: number;
  // Answers still due to requests let through under the limit before the last lowering, ignored: the permit a 429
  // frees goes to a waiting request before the limit is lowered, and a Durable Object's clock stands still between
  // I/O, so sentAt cannot tell that request's refusal from pushback against the new limit.
  settling: number;
  // The limit at which the destination last pushed back: growing into it again takes longer, twice as long for
  // every refusal there in a row, so a destination that keeps refusing it is rarely asked again.
  ceiling: number | null;
  ceiling_refusals: number;
  // What the job log last said, so a burst of changes is one line, at most one per LOG_INTERVAL_MS.
  logged_at: number | null;
  logged_limit: number;
  pending: boolean;
  lowest: number;
  // Why it was last lowered since the last line (null: only raised), and the latency that made it slow.
  pushback: Pushback | null;
  slow_ms: number | null;
}

export const PUSHBACKS = ["rate_limited", "unavailable", "timeout", "slow"] as const;
export type Pushback = (typeof PUSHBACKS)[number];

export interface ConcurrencySignal {
  // null: no answer (a timeout or a network error).
  status: number | null;
  timedOut: boolean;
  sentAt: number;
  durationMs: number;
  at: number;
}

export interface ConcurrencyNote {
  level: "WARN" | "INFO";
  from: number;
  to: number;
  max: number;
  // The lowest limit since the last note.
  lowest: number;
  // Why it was lowered since the last note; null when it was only raised.
  pushback: Pushback | null;
  // For "slow": the recent latency against the usual one.
  slow_ms: number | null;
  usual_ms: number | null;
}

export interface AdaptiveConcurrency {
  readonly limit: number;
  readonly max: number;
  // One answered (or timed out) attempt; returns the new limit when it changed.
  observe(signal: ConcurrencySignal): number | null;
  // A line for the job log when a change is waiting to be told and the last line is old enough.
  takeNote(now: number): ConcurrencyNote | null;
  state(): AdaptiveConcurrencyState;
}

export const HEALTHY_WINDOW_MIN = 20;
// Growing into the limit that last met a 429 waits this many windows: the destination said no there.
export const CEILING_WINDOWS = 8;
// The most windows growing into that limit waits after refusals there in a row (8, 16, 32, 64).
export const CEILING_WINDOWS_MAX = 64;
export const SLOW_FACTOR = 3;
// Below this much above the usual, a slower answer is not the destination's congestion: the measured time also
// holds the caller's own stalls (a busy isolate, a storage write holding outgoing requests).
export const SLOW_MIN_EXTRA_MS = 250;
// Answers needed to know the usual latency, and after a change before judging it slow again.
export const LATENCY_SAMPLES = 10;
export const LOG_INTERVAL_MS = 20_000;
const USUAL_WEIGHT = 0.05;
// A slow answer moves the usual only a little, so a slow spell stands out, yet a destination slower for good
// becomes the usual after a hundred answers or so.
const USUAL_DRIFT = 0.01;
const RECENT_WEIGHT = 0.1;

export function initialConcurrencyState(max: number, now: number): AdaptiveConcurrencyState {
  return {
    limit: max,
    usual_ms: null,
    recent_ms: null,
    since_change: 0,
    healthy: 0,
    changed_at: now,
    settling: 0,
    ceiling: null,
    ceiling_refusals: 0,
    logged_at: null,
    logged_limit: max,
    pending: false,
    lowest: max,
    pushback: null,
    slow_ms: null,
  };
}

export function createAdaptiveConcurrency(options: { max: number; now: number; state?: AdaptiveConcurrencyState | null }): AdaptiveConcurrency {
  const max = Math.max(1, Math.floor(options.max));
  const s: AdaptiveConcurrencyState = { ...(options.state ?? initialConcurrencyState(max, options.now)) };
  // The connection's limit may have been lowered (or raised) since the state was saved.
  s.limit = clamp(s.limit, max);
  s.logged_limit = clamp(s.logged_limit, max);
  s.lowest = clamp(s.lowest, max);
  if (s.ceiling !== null && s.ceiling > max) s.ceiling = null;
  // States saved before these fields existed.
  s.settling ??= 0;
  s.ceiling_refusals ??= s.ceiling === null ? 0 : 1;

  const change = (to: number, at: number) => {
    s.limit = to;
    s.changed_at = at;
    s.since_change = 0;
    s.healthy = 0;
    s.recent_ms = null;
    s.lowest = Math.min(s.lowest, to);
    s.pending = true;
    return to;
  };

  const decrease = (reason: Pushback, at: number) => {
    if (reason === "rate_limited" || reason === "unavailable") {
      // A lone request refused: 2 at once stays the limit to grow into slowly.
      const refused = Math.max(2, s.limit);
      s.ceiling_refusals = s.ceiling === refused ? s.ceiling_refusals + 1 : 1;
      s.ceiling = refused;
    }
    if (s.limit === 1) return null;
    s.pushback = reason;
    s.slow_ms = reason === "slow" && s.recent_ms !== null ? Math.round(s.recent_ms) : null;
    s.settling = s.limit;
    // Rounded up: 3 → 2, not 1, so a destination that takes 3 is not left at a third of it.
    return change(Math.ceil(s.limit / 2), at);
  };

  const ceilingWindows = () => Math.min(CEILING_WINDOWS_MAX, CEILING_WINDOWS * 2 ** Math.max(0, s.ceiling_refusals - 1));
  const window = () => Math.max(HEALTHY_WINDOW_MIN, s.limit) * (s.ceiling !== null && s.limit + 1 === s.ceiling ? ceilingWindows() : 1);

  return {
    get limit() {
      return s.limit;
    },
    max,
    observe(signal) {
      // Sent, or let through, under an earlier limit: it tells nothing about this one (a burst of 429s halves once).
      if (s.settling > 0) {
        s.settling -= 1;
        return null;
      }
      if (signal.sentAt < s.changed_at) return null;
      s.since_change += 1;
      if (signal.status === 429) return decrease("rate_limited", signal.at);
      if (signal.status === 503) return decrease("unavailable", signal.at);
      if (signal.timedOut) return decrease("timeout", signal.at);
      if (signal.status === null || signal.status >= 500) return null;
      const latency = signal.durationMs;
      const slowAnswer = s.usual_ms !== null && isSlow(latency, s.usual_ms);
      s.recent_ms = s.recent_ms === null ? latency : s.recent_ms + RECENT_WEIGHT * (latency - s.recent_ms);
      if (s.usual_ms !== null && s.since_change >= LATENCY_SAMPLES && isSlow(s.recent_ms, s.usual_ms)) return decrease("slow", signal.at);
      s.usual_ms = s.usual_ms === null ? latency : s.usual_ms + (slowAnswer ? USUAL_DRIFT : USUAL_WEIGHT) * (latency - s.usual_ms);
      if (slowAnswer) return null;
      s.healthy += 1;
      if (s.limit >= max || s.healthy < window()) return null;
      // Grown past the limit that was refused: the destination takes it now, so growing is at the usual pace again.
      if (s.ceiling !== null && s.limit + 1 > s.ceiling) {
        s.ceiling = null;
        s.ceiling_refusals = 0;
      }
      return change(s.limit + 1, signal.at);
    },
    takeNote(now) {
      if (!s.pending || (s.logged_at !== null && now - s.logged_at < LOG_INTERVAL_MS)) return null;
      const note: ConcurrencyNote = {
        level: s.limit > s.logged_limit ? "INFO" : "WARN",
        from: s.logged_limit,
        to: s.limit,
        max,
        lowest: s.lowest,
        pushback: s.pushback,
        slow_ms: s.slow_ms,
        usual_ms: s.usual_ms === null ? null : Math.round(s.usual_ms),
      };
      s.logged_at = now;
      s.logged_limit = s.limit;
      s.lowest = s.limit;
      s.pending = false;
      s.pushback = null;
      s.slow_ms = null;
      return note;
    },
    state: () => ({ ...s }),
  };
}

function isSlow(latency: number, usual: number): boolean {
  return latency > usual * SLOW_FACTOR && latency - usual > SLOW_MIN_EXTRA_MS;
}

function clamp(value: number, max: number): number {
  return Math.min(max, Math.max(1, Math.floor(value)));
}
