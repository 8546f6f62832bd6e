import { describe, expect, it } from "vitest";
import { HostTallies } from "../../../worker/breakers/host-tallies";
import type { RequestAttempt } from "../../../worker/engine/http-client";
import {
  admit,
  BREAKER_POLICY,
  closedBreaker,
  emptyTally,
  probeDelay,
  reportTally,
  tallyAttempt,
  type Breaker,
  type HostTally,
} from "../../../worker/breakers/breaker-state";

const HOST = "api.example.com";
const T0 = Date.UTC(2026, 11, 6, 4, 0, 0);

// A slice's tally from its attempts in order: a number is a status, "x" a timeout or network error.
function tally(...attempts: Array<number | "x">): HostTally {
  const t = emptyTally();
  for (const a of attempts) tallyAttempt(t, a === "x" ? null : a, a === "x" ? "timed out after 30000 ms" : null);
  return t;
}

const fails = (n: number) => Array.from({ length: n }, () => 503);

function report(breaker: Breaker, t: HostTally, at: number, runId = "run_a") {
  return reportTally(breaker, t, runId, at);
}

describe("while closed", () => {
  it("opens after 10 failed attempts in a row, even when they come from several runs' slices", () => {
    let b = closedBreaker(HOST, T0);
    b = report(b, tally(...fails(4)), T0 + 1_000, "run_a").breaker;
    b = report(b, tally("x", "x", "x"), T0 + 2_000, "run_b").breaker;
    expect(b.record.state).toBe("closed");
    const step = report(b, tally(500, 502, 504), T0 + 3_000, "run_c");
    expect(step.change).toBe("opened");
    expect(step.breaker.record).toMatchObject({ state: "open", opened_at: T0 + 3_000, next_probe_at: T0 + 3_000 + 30_000, last_error: "HTTP 504" });
  });

  it("a success restarts the count; 4xx answers are successes and 429 counts for nothing", () => {
    let b = closedBreaker(HOST, T0);
    b = report(b, tally(...fails(9), 404), T0 + 1_000).breaker;
    b = report(b, tally(...fails(9), 429), T0 + 2_000).breaker;
    expect(b.counts.consecutive_failures).toBe(9);
    expect(b.record.state).toBe("closed");
    expect(report(b, tally(503), T0 + 3_000).change).toBe("opened");
  });

  it("opens when at least half of at least 20 attempts within a minute failed, and not when they are spread wider", () => {
    const mixed = () => tally(503, 200, 503, 200, 503, 200, 503, 200, 503, 200);
    let b = closedBreaker(HOST, T0);
    b = report(b, mixed(), T0 + 10_000).breaker;
    expect(report(b, mixed(), T0 + 50_000).change).toBe("opened");

    b = closedBreaker(HOST, T0);
    b = report(b, mixed(), T0 + 10_000).breaker;
    // A new minute's window: 10 attempts, not 20.
    expect(report(b, mixed(), T0 + 10_000 + BREAKER_POLICY.windowMs).change).toBe("none");
  });

  it("40 % failures over a minute keep it closed", () => {
    let b = closedBreaker(HOST, T0);
    for (let i = 0; i < 5; i++) b = report(b, tally(503, 503, 200, 200, 200), T0 + i * 1_000).breaker;
    expect(b.record.state).toBe("closed");
  });
});

describe("once open", () => {
  const opened = () => report(closedBreaker(HOST, T0), tally(...fails(10)), T0).breaker;

  it("every run waits until the probe time; then exactly one run probes and the others wait for its lease", () => {
    const b = opened();
    expect(admit(b, "run_a", T0 + 29_999).admission).toEqual({ kind: "wait", until: T0 + 30_000 });
    const probe = admit(b, "run_a", T0 + 30_000);
    expect(probe.change).toBe("probing");
    expect(probe.admission).toEqual({ kind: "go", probe: true });
    expect(admit(probe.breaker, "run_a", T0 + 31_000).admission).toEqual({ kind: "go", probe: true });
    expect(admit(probe.breaker, "run_b", T0 + 31_000).admission).toEqual({ kind: "wait", until: T0 + 30_000 + BREAKER_POLICY.probeLeaseMs });
    // The probing run went silent: another takes the probe over.
    const taken = admit(probe.breaker, "run_b", T0 + 30_000 + BREAKER_POLICY.probeLeaseMs);
    expect(taken.admission).toEqual({ kind: "go", probe: true });
    expect(taken.breaker.record.probe_run_id).toBe("run_b");
  });

  it("a failed probe reopens it with the backoff doubled, up to ten minutes", () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(probeDelay)).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
    let b = opened();
    for (const delay of [60_000, 120_000, 240_000]) {
      const at = b.record.next_probe_at!;
      b = admit(b, "run_a", at).breaker;
      const step = report(b, tally("x"), at + 500, "run_a");
      expect(step.change).toBe("reopened");
      b = step.breaker;
      expect(b.record.next_probe_at).toBe(at + 500 + delay);
    }
    expect(b.record.opened_at).toBe(T0);
  });

  it("a probe whose last attempt succeeded closes it; reports of other runs change nothing", () => {
    let b = admit(opened(), "run_a", T0 + 30_000).breaker;
    expect(report(b, tally(200), T0 + 30_100, "run_b").change).toBe("none");
    expect(report(b, emptyTally(), T0 + 30_100, "run_a").change).toBe("none");
    const step = report(b, tally(503, 200), T0 + 30_200, "run_a");
    expect(step.change).toBe("closed");
    b = step.breaker;
    expect(b.record).toMatchObject({ state: "closed", opened_at: null, next_probe_at: null, failed_probes: 0, closed_at: T0 + 30_200 });
    expect(admit(b, "run_b", T0 + 30_300).admission).toEqual({ kind: "go", probe: false });
    // Closed afresh: the old failures are not held against it.
    expect(report(b, tally(...fails(9)), T0 + 31_000).change).toBe("none");
  });

  it("late reports from slices that began before it opened change nothing", () => {
    const b = opened();
    expect(report(b, tally(200, 200), T0 + 1_000, "run_b")).toEqual({ breaker: b, change: "none" });
  });
});

describe("a slice's tallies", () => {
  it("count each destination attempt under its host, however alike two hosts' URLs begin", () => {
    const tallies = new HostTallies();
    const attempt = (url: string, status: number | null, phase: RequestAttempt["phase"] = "update") =>
      tallies.observe({ url, status, phase, error: status === null ? "timed out after 100 ms" : null } as RequestAttempt);

    attempt("https://api.example.com/devices/A1", 200);
    attempt("https://api.example.community/devices/A1", 503);
    attempt("https://api.example.com?page=2", 200, "listing");
    attempt("https://API.example.com#top", null);
    attempt("https://api.example.com", 200);
    attempt("https://tokens.example.com/oauth/token", 500, "token");

    expect(Object.fromEntries(tallies.entries().map(([host, t]) => [host, [t.requests, t.failures]]))).toEqual({
      "api.example.com": [4, 1],
      "api.example.community": [1, 1],
    });
  });
});
