// The destination circuit breaker of one host, as a pure state machine over request tallies and a clock.
// Coordinators report what their slice's requests to the host did; the breaker opens when the host keeps
// failing, admits one probe at a time once its backoff has passed, and closes when the probe succeeds.

export const BREAKER_STATES = ["closed", "open", "half_open"] as const;
export type BreakerState = (typeof BREAKER_STATES)[number];

export const BREAKER_POLICY = {
  // Failed attempts in a row (across every connection to the host) that open it...
  consecutiveFailures: 10,
  // ...or at least half of at least 20 attempts within one minute.
  windowMs: 60_000,
  windowMinRequests: 20,
  windowFailurePercent: 50,
  // The first probe 30 s after opening, then 1, 2, 4, 8 and at most 10 minutes after each failed probe.
  firstProbeMs: 30_000,
  maxProbeMs: 600_000,
  // A probe whose coordinator never reported back (evicted, its run canceled) is handed to another after this.
  probeLeaseMs: 120_000,
} as const;

// What is kept in D1 (destination_breakers) and shown by the API; it changes only on a transition.
export interface BreakerRecord {
  host: string;
  state: BreakerState;
  opened_at: number | null;
  failed_probes: number;
  next_probe_at: number | null;
  probe_run_id: string | null;
  probe_started_at: number | null;
  last_error: string | null;
  last_failure_at: number | null;
  closed_at: number | null;
  updated_at: number;
}

// What is counted between transitions, kept in memory only: losing it costs at most a late opening.
export interface BreakerCounts {
  consecutive_failures: number;
  window_started_at: number;
  window_requests: number;
  window_failures: number;
}

export interface Breaker {
  record: BreakerRecord;
  counts: BreakerCounts;
}

// One slice's attempts to the host, in order: a 5xx, a timeout or a network error is a failure; any other
// answer but 429 a success (the host is up); a 429 is neither.
export interface HostTally {
  requests: number;
  failures: number;
  // Failures after the slice's last success (all of them when there was none).
  trailing_failures: number;
  last_error: string | null;
}

// opened: a closed breaker tripped (raise the incident); probing: a probe was handed out; reopened: a probe
// failed; closed: a probe succeeded or an operator reset it (resolve the incident).
export type BreakerChange = "none" | "opened" | "probing" | "reopened" | "closed";

export type Admission = { kind: "go"; probe: boolean } | { kind: "wait"; until: number };

export interface Step {
  breaker: Breaker;
  change: BreakerChange;
}

export function emptyTally(): HostTally {
  return { requests: 0, failures: 0, trailing_failures: 0, last_error: null };
}

// Adds one attempt to a tally: status null is a timeout or network error.
export function tallyAttempt(tally: HostTally, status: number | null, error: string | null): void {
  if (status === 429) return;
  tally.requests += 1;
  if (status === null || status >= 500) {
    tally.failures += 1;
    tally.trailing_failures += 1;
    tally.last_error = status === null ? (error ?? "no answer") : `HTTP ${status}${error === null ? "" : `: ${error}`}`;
  } else {
    tally.trailing_failures = 0;
  }
}

export function probeDelay(failedProbes: number): number {
  return Math.min(BREAKER_POLICY.maxProbeMs, BREAKER_POLICY.firstProbeMs * 2 ** Math.max(0, failedProbes));
}

export function closedBreaker(host: string, now: number, from?: BreakerRecord): Breaker {
  return {
    record: {
      host,
      state: "closed",
      opened_at: null,
      failed_probes: 0,
      next_probe_at: null,
      probe_run_id: null,
      probe_started_at: null,
      last_error: from?.last_error ?? null,
      last_failure_at: from?.last_failure_at ?? null,
      closed_at: from === undefined ? null : now,
      updated_at: now,
    },
    counts: { consecutive_failures: 0, window_started_at: now, window_requests: 0, window_failures: 0 },
  };
}

// A breaker read back from D1: its counts start afresh.
export function breakerOf(record: BreakerRecord, now: number): Breaker {
  return { record, counts: { consecutive_failures: 0, window_started_at: now, window_requests: 0, window_failures: 0 } };
}

function tripped(counts: BreakerCounts): boolean {
  if (counts.consecutive_failures >= BREAKER_POLICY.consecutiveFailures) return true;
  return (
    counts.window_requests >= BREAKER_POLICY.windowMinRequests && counts.window_failures * 100 >= counts.window_requests * BREAKER_POLICY.windowFailurePercent
  );
}

function reopen(breaker: Breaker, now: number, lastError: string | null): Breaker {
  const failed = breaker.record.failed_probes + 1;
  return {
    record: {
      ...breaker.record,
      state: "open",
      failed_probes: failed,
      next_probe_at: now + probeDelay(failed),
      probe_run_id: null,
      probe_started_at: null,
      last_error: lastError ?? breaker.record.last_error,
      last_failure_at: now,
      updated_at: now,
    },
    counts: breaker.counts,
  };
}

// A slice's tally from run `runId`. Closed: counted, and it opens when the host keeps failing. Half open: only
// the probe's own report decides (its last attempt a success closes it, a failure reopens it with a longer
// backoff). Open: slices that began before it opened report late and change nothing.
export function reportTally(breaker: Breaker, tally: HostTally, runId: string, now: number): Step {
  if (tally.requests === 0) return { breaker, change: "none" };
  const { record } = breaker;
  if (record.state === "half_open") {
    if (record.probe_run_id !== runId) return { breaker, change: "none" };
    if (tally.trailing_failures === 0) return { breaker: closedBreaker(record.host, now, record), change: "closed" };
    return { breaker: reopen(breaker, now, tally.last_error), change: "reopened" };
  }
  if (record.state === "open") return { breaker, change: "none" };

  const fresh = now - breaker.counts.window_started_at >= BREAKER_POLICY.windowMs;
  const counts: BreakerCounts = {
    // Every attempt failed: the run of failures goes on; otherwise it restarts after the slice's last success.
    consecutive_failures: tally.failures === tally.requests ? breaker.counts.consecutive_failures + tally.failures : tally.trailing_failures,
    window_started_at: fresh ? now : breaker.counts.window_started_at,
    window_requests: (fresh ? 0 : breaker.counts.window_requests) + tally.requests,
    window_failures: (fresh ? 0 : breaker.counts.window_failures) + tally.failures,
  };
  const failedNow = tally.failures > 0;
  const next: Breaker = {
    record: failedNow ? { ...record, last_error: tally.last_error ?? record.last_error, last_failure_at: now } : record,
    counts,
  };
  if (!tripped(counts)) return { breaker: next, change: "none" };
  return {
    breaker: {
      record: {
        ...next.record,
        state: "open",
        opened_at: now,
        failed_probes: 0,
        next_probe_at: now + probeDelay(0),
        probe_run_id: null,
        probe_started_at: null,
        closed_at: null,
        updated_at: now,
      },
      counts,
    },
    change: "opened",
  };
}

// May run `runId` send to the host now? Closed: yes. Open: not before the next probe time, and then as the one
// probe. Half open: only the probe's run, until its lease runs out.
export function admit(breaker: Breaker, runId: string, now: number): Step & { admission: Admission } {
  const { record } = breaker;
  switch (record.state) {
    case "closed":
      return { breaker, change: "none", admission: { kind: "go", probe: false } };
    case "open":
      if (record.next_probe_at !== null && now < record.next_probe_at)
        return { breaker, change: "none", admission: { kind: "wait", until: record.next_probe_at } };
      return probing(breaker, runId, now);
    case "half_open": {
      if (record.probe_run_id === runId) return { breaker, change: "none", admission: { kind: "go", probe: true } };
      const leaseEnds = (record.probe_started_at ?? now) + BREAKER_POLICY.probeLeaseMs;
      if (now < leaseEnds) return { breaker, change: "none", admission: { kind: "wait", until: leaseEnds } };
      return probing(breaker, runId, now);
    }
  }
}

function probing(breaker: Breaker, runId: string, now: number): Step & { admission: Admission } {
  return {
    breaker: { record: { ...breaker.record, state: "half_open", probe_run_id: runId, probe_started_at: now, updated_at: now }, counts: breaker.counts },
    change: "probing",
    admission: { kind: "go", probe: true },
  };
}
