import { describe, expect, it } from "vitest";
import { emptyCounters } from "../../../worker/engine/counters";
import * as say from "../../../worker/runs/run-log";
import { makeOutcome } from "./job-factories";

const start = { mode: "live" as const, type: "full" as const, serial: null, reset: false, version: 3, cursor: null, inScope: 500 };

describe("the run log", () => {
  it("says how a job started: mode, scope and contract version", () => {
    expect(say.jobStarted(start)).toBe("Live full run started, complete: 500 records in scope (contract version 3)");
    expect(say.jobStarted({ ...start, mode: "dry", reset: true, inScope: null })).toBe(
      "Dry full run started, complete reconciliation (reset) (contract version 3)",
    );
    expect(say.jobStarted({ ...start, cursor: "2026-11-01T00:00:00.000Z", inScope: 12 })).toBe(
      "Live full run started, incremental since 2026-11-01T00:00:00.000Z plus last run's failed serials: 12 records in scope (contract version 3)",
    );
    expect(say.jobStarted({ ...start, type: "single", serial: "DEV-00001" })).toBe("Live single run of DEV-00001 started (contract version 3)");
  });

  it("words retries, rate limits and token refreshes by path, and counts responses silently", () => {
    const base = { method: "PATCH", url: "https://api.example.com/devices/DEV-1?x=1", attempt: 2 };
    expect(say.httpEventLine({ ...base, type: "retry", reason: "network_error", status: null, delay_ms: 500 })).toBe(
      "Retrying PATCH /devices/DEV-1 after network error (attempt 2), waiting 500 ms",
    );
    expect(say.httpEventLine({ ...base, type: "rate_limited", status: 429, delay_ms: 2000, asked: "Retry-After: 2" })).toBe(
      "Rate limited (429) on PATCH /devices/DEV-1: waiting 2000 ms (Retry-After: 2)",
    );
    expect(say.httpEventLine({ ...base, type: "rate_limited", status: 429, delay_ms: 250, asked: null })).toBe(
      "Rate limited (429) on PATCH /devices/DEV-1: waiting 250 ms",
    );
    expect(say.httpEventLine({ ...base, type: "retry", reason: "server_error", status: 503, delay_ms: 30_000, asked: "Retry-After: 30" })).toBe(
      "Retrying PATCH /devices/DEV-1 after status 503 (attempt 2), waiting 30000 ms as Retry-After: 30 asked",
    );
    expect(say.httpEventLine({ ...base, type: "auth_refresh", status: 401 })).toBe(
      "Access token rejected (401) on PATCH /devices/DEV-1; fetching a new token and retrying once",
    );
    expect(say.httpEventLine({ ...base, type: "response", status: 200, duration_ms: 1, bytes_sent: 1, bytes_received: 1 })).toBeNull();
    expect(say.httpEventLine({ ...base, url: "not a url", type: "retry", reason: "timeout", status: 503, delay_ms: 1 })).toBe(
      "Retrying PATCH (invalid URL) after status 503 (attempt 2), waiting 1 ms",
    );
  });

  it("says when the concurrency was lowered (WARN) or raised (INFO), of the connection's, and why", () => {
    const note = { level: "WARN" as const, from: 6, to: 3, max: 6, lowest: 3, pushback: "rate_limited" as const, slow_ms: null, usual_ms: 20 };
    expect(say.concurrencyChanged(note)).toEqual({
      level: "WARN",
      message: "Concurrency lowered to 3 of 6: the destination answered 429 Too Many Requests; throttling requests",
      serial: null,
    });
    expect(say.concurrencyChanged({ ...note, to: 2, lowest: 1, pushback: "slow", slow_ms: 480 }).message).toBe(
      "Concurrency lowered to 2 of 6 (down to 1 in between): responses slowed to 480 ms against a usual 20 ms; throttling requests",
    );
    expect(say.concurrencyChanged({ ...note, level: "INFO", from: 3, to: 4, lowest: 3, pushback: null })).toEqual({
      level: "INFO",
      message: "Concurrency raised to 4 of 6: the destination kept up",
      serial: null,
    });
    expect(say.concurrencyChanged({ ...note, from: 4, to: 4, lowest: 2, pushback: "unavailable" }).message).toBe(
      "Concurrency back at 4 of 6 after going down to 2: the destination answered 503 Service Unavailable",
    );
  });

  it("stores a record's error with its hint, and details an outcome for debug logs", () => {
    expect(say.outcomeError(makeOutcome({ error: "HTTP 422", hint: "Check the payload" }))).toBe("HTTP 422 — Hint: Check the payload");
    expect(say.outcomeError(makeOutcome({ error: "HTTP 422" }))).toBe("HTTP 422");
    expect(say.outcomeError(makeOutcome())).toBeNull();
    const changed = makeOutcome({
      http_status: 200,
      changes: [
        { field: "firmware", before: "1.0", after: "1.1", written: true },
        { field: "site", before: null, after: "B", written: false },
      ] as never,
    });
    expect(say.outcomeDetail(changed)).toBe('DEV-00001: updated (HTTP 200) — firmware: "1.0" → "1.1", site: null → "B" (not written)');
    expect(say.outcomeDetail(makeOutcome({ action: "skipped_rule", reason: "rule: never" }))).toBe("DEV-00001: skipped_rule — rule: never");
  });

  it("sums a finished job up in its mode's words", () => {
    const counters = {
      ...emptyCounters(),
      in_scope: 10,
      processed: 10,
      updated: 4,
      would_update: 0,
      skipped_rule: 1,
      skipped_no_change: 2,
      missing_source: 1,
      missing_destination: 1,
      failed: 1,
    };
    expect(say.jobFinished(1_250, counters, "live")).toBe(
      "Finished in 1.3 s: 10 of 10 processed — 4 updated, 3 skipped, 1 missing source, 1 missing destination, 1 failed",
    );
    expect(say.jobFinished(0, { ...counters, updated: 0, would_update: 4 }, "dry")).toMatch(/— 4 would update, 3 skipped/);
    expect(say.jobFinished(0, { ...counters, updated: 1, verified: 2, verify_mismatch: 1, drifted: 3 }, "live")).toMatch(
      /— 1 updated, 2 verified, 1 verify mismatch, 3 drifted, 3 skipped/,
    );
    expect(say.jobFailed(7, { message: "The destination answered 500", hint: "Try again later" })).toBe(
      "Job failed after 7 record(s): The destination answered 500. Hint: Try again later",
    );
    expect(say.jobCanceled({ processed: 3, in_scope: 9 })).toBe("Canceled after 3 of 9 records; results so far are kept");
  });
});
