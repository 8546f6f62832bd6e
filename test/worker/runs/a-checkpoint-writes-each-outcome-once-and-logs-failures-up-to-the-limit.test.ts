import { describe, expect, it } from "vitest";
import { addTraffic, checkInvariant, emptyCounters } from "../../../worker/engine/counters";
import { outcomeBatch, type OutcomeBatchOptions } from "../../../worker/runs/outcome-batch";
import { makeOutcome } from "./job-factories";

const options = (overrides: Partial<OutcomeBatchOptions> = {}): OutcomeBatchOptions => ({
  jobId: "job_1",
  at: 9_000,
  failureLogs: 0,
  failureLogLimit: 50,
  debug: false,
  ...overrides,
});

describe("a checkpoint's batch of outcomes", () => {
  it("writes one outcome row per record, its error with the hint, or its reason", () => {
    const batch = outcomeBatch(
      [
        makeOutcome({ serial: "A", action: "updated", http_status: 200, changes: [{ field: "firmware", before: "1", after: "2", written: true }] as never }),
        makeOutcome({ serial: "B", action: "failed", http_status: 422, error: "HTTP 422", hint: "Check the payload" }),
        makeOutcome({ serial: "C", action: "skipped_rule", reason: "rule: never" }),
      ],
      emptyCounters(),
      options(),
    );
    expect(batch.outcomes).toEqual([
      {
        job_id: "job_1",
        serial: "A",
        action: "updated",
        changes: JSON.stringify([{ field: "firmware", before: "1", after: "2", written: true }]),
        differences: null,
        http_status: 200,
        payload_excerpt: null,
        error: null,
        at: 9_000,
      },
      {
        job_id: "job_1",
        serial: "B",
        action: "failed",
        changes: null,
        differences: null,
        http_status: 422,
        payload_excerpt: null,
        error: "HTTP 422 — Hint: Check the payload",
        at: 9_000,
      },
      {
        job_id: "job_1",
        serial: "C",
        action: "skipped_rule",
        changes: null,
        differences: null,
        http_status: null,
        payload_excerpt: null,
        error: "rule: never",
        at: 9_000,
      },
    ]);
  });

  it("writes a verify mismatch's differences as JSON text, and counts it", () => {
    const differences = [{ field: "name", expected: "Pump 7", found: "PUMP 7", side: "stored" as const }];
    const batch = outcomeBatch([makeOutcome({ serial: "A", action: "verify_mismatch", http_status: 200, differences })], emptyCounters(), options());
    expect(batch.outcomes[0]).toMatchObject({ action: "verify_mismatch", differences: JSON.stringify(differences) });
    expect(batch.counted).toMatchObject({ processed: 1, verify_mismatch: 1 });
  });

  it("holds back a write awaiting its read-back (no row, no count) and logs a mismatch with its hint", () => {
    const hint = "the destination accepted the write but stored a different value for name";
    const batch = outcomeBatch(
      [makeOutcome({ serial: "A", awaiting_readback: { name: "Pump 7" } }), makeOutcome({ serial: "B", action: "verify_mismatch", reason: hint })],
      emptyCounters(),
      options(),
    );
    expect(batch.outcomes.map((o) => o.serial)).toEqual(["B"]);
    expect(batch.counted).toMatchObject({ processed: 1, updated: 0, verify_mismatch: 1 });
    expect(batch.logs).toEqual([{ level: "WARN", message: `B verify mismatch: ${hint}`, serial: "B" }]);
  });

  it("counts each outcome once with the engine's counters, on top of the bytes already counted", () => {
    const batch = outcomeBatch(
      [makeOutcome({ action: "updated" }), makeOutcome({ action: "updated" }), makeOutcome({ action: "missing_destination" })],
      addTraffic(emptyCounters(), 300, 900),
      options(),
    );
    expect(batch.counted).toEqual({ ...emptyCounters(), processed: 3, updated: 2, missing_destination: 1, bytes_sent: 300, bytes_received: 900 });
    expect(checkInvariant(batch.counted)).toEqual({ ok: true });
  });

  it("logs failed records one by one up to the limit, then says once that it stops", () => {
    const failed = ["A", "B", "C"].map((serial) => makeOutcome({ serial, action: "failed", error: "HTTP 500" }));
    const batch = outcomeBatch(failed, emptyCounters(), options({ failureLogs: 1, failureLogLimit: 2 }));
    expect(batch.logs).toEqual([
      { level: "ERROR", message: "A failed: HTTP 500", serial: "A" },
      {
        level: "WARN",
        message: "Further failed or mismatched records are not logged one by one: filter the Records tab by Failed or Verify Mismatch",
        serial: null,
      },
    ]);
    expect(batch.failureLogs).toBe(4);
    expect(outcomeBatch(failed, emptyCounters(), options({ failureLogs: 4, failureLogLimit: 2 })).logs).toEqual([]);
  });

  it("logs a write confirmed after a restart, and every outcome of a debug connection", () => {
    const batch = outcomeBatch([makeOutcome({ serial: "A", confirmed: true, http_status: 200 })], emptyCounters(), options({ debug: true }));
    expect(batch.logs).toEqual([
      { level: "INFO", message: "A: write confirmed after restart (the destination holds the values sent before the interruption)", serial: "A" },
      { level: "DEBUG", message: "A: updated (HTTP 200)", serial: "A" },
    ]);
  });
});
