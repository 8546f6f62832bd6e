import { describe, expect, it } from "vitest";
import { emptyCounters, type JobCounters } from "../../worker/engine/counters";
import { ENGINE_ERROR_CODES, EngineError, REQUEST_PHASES, diagnoseJob, hintFor } from "../../worker/engine/errors";

function makeCounters(overrides: Partial<JobCounters>): JobCounters {
  const counters = { ...emptyCounters(), ...overrides };
  counters.processed =
    counters.would_update + counters.updated + counters.skipped_rule + counters.skipped_no_change +
    counters.missing_source + counters.missing_destination + counters.failed;
  return counters;
}

describe("job diagnostics", () => {
  it("flags a spike of Missing Destination with the fetch contract hint", () => {
    const diagnoses = diagnoseJob(makeCounters({ updated: 20, missing_destination: 5 }));

    expect(diagnoses).toEqual([
      {
        code: "missing_destination_spike",
        message: "5 of 25 records (20%) had no destination record",
        hint: "Review fetch contract endpoint and destination serial visibility",
      },
    ]);
  });

  it("does not call a few missing serials a spike", () => {
    expect(diagnoseJob(makeCounters({ updated: 1, missing_destination: 4 }))).toEqual([]);
    expect(diagnoseJob(makeCounters({ updated: 26, missing_destination: 5 }))).toEqual([]);
  });

  it("points a job that completed without writes at the action rules", () => {
    const dry = diagnoseJob(makeCounters({ skipped_no_change: 8, skipped_rule: 2 }));

    expect(dry).toEqual([
      {
        code: "no_writes",
        message: "Completed 10 records without a single write",
        hint: "Inspect per-field action rules and diagnostics counters",
      },
    ]);
  });

  it("counts would-update as writes in a dry run", () => {
    expect(diagnoseJob(makeCounters({ would_update: 1, skipped_no_change: 9 }))).toEqual([]);
  });

  it("says nothing about an empty job", () => {
    expect(diagnoseJob(emptyCounters())).toEqual([]);
  });

  it("reports both patterns when every record lacked a destination", () => {
    const codes = diagnoseJob(makeCounters({ missing_destination: 12 })).map((diagnosis) => diagnosis.code);

    expect(codes).toEqual(["missing_destination_spike", "no_writes"]);
  });
});

describe("engine errors", () => {
  it("gives every code a hint in every phase", () => {
    for (const code of ENGINE_ERROR_CODES) {
      for (const phase of [...REQUEST_PHASES, null]) expect(hintFor(code, phase).length).toBeGreaterThan(10);
    }
  });

  it("marks transport failures retryable and contract errors not", () => {
    const retryable = ENGINE_ERROR_CODES.filter((code) => new EngineError({ code, message: "x" }).retryable);

    expect(retryable).toEqual(["timeout", "network_error", "retries_exhausted"]);
  });

  it("serialises to the job failure shape without internals", () => {
    const error = new EngineError({ code: "method_not_allowed", message: "PUT /x returned 405", http_status: 405, phase: "update" });

    expect(JSON.parse(JSON.stringify(error))).toEqual({
      code: "method_not_allowed",
      http_status: 405,
      message: "PUT /x returned 405",
      hint: "Verify method in Update API Contract",
    });
  });
});
