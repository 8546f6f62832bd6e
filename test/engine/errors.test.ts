import { describe, expect, it } from "vitest";
import { emptyCounters, type JobCounters } from "../../worker/engine/counters";
import { ENGINE_ERROR_CODES, EngineError, REQUEST_PHASES, diagnoseJob, hintFor } from "../../worker/engine/errors";

function makeCounters(overrides: Partial<JobCounters>): JobCounters {
  const counters = { ...emptyCounters(), ...overrides };
  counters.processed =
    counters.would_update +
    counters.updated +
    counters.skipped_rule +
    counters.skipped_no_change +
    counters.missing_source +
    counters.missing_destination +
    counters.failed;
  return counters;
}

describe("job diagnostics", () => {
  it("flags a spike of Missing Destination with the fetch contract hint", () => {
    const diagnoses = diagnoseJob(makeCounters({ updated: 20, missing_destination: 5 }));

    expect(diagnoses).toEqual([
      {
        severity: "warning",
        code: "missing_destination_spike",
        label: "many Missing Destination",
        message: "5 of 25 records (20%) had no destination record",
        hint: "Review fetch contract endpoint and destination serial visibility",
      },
    ]);
  });

  it("does not call a few missing serials a spike", () => {
    expect(diagnoseJob(makeCounters({ updated: 1, missing_destination: 4 }))).toEqual([]);
    expect(diagnoseJob(makeCounters({ updated: 26, missing_destination: 5 }))).toEqual([]);
  });

  it("points a job whose writes rules held back at the action rules, counting each reason", () => {
    const dry = diagnoseJob(makeCounters({ skipped_no_change: 8, skipped_rule: 2 }));

    expect(dry).toEqual([
      {
        severity: "warning",
        code: "no_writes",
        label: "nothing to write",
        message: "Completed 10 records without a single write: 2 skipped by rule, 8 unchanged",
        hint: "Inspect per-field action rules and diagnostics counters",
      },
    ]);
  });

  // An hourly full run in steady state: amber on every run would teach operators to ignore amber.
  it("says a job that found every value already there is up to date, as information rather than a warning", () => {
    expect(diagnoseJob(makeCounters({ skipped_no_change: 325 }))).toEqual([
      {
        severity: "info",
        code: "up_to_date",
        label: "already up to date",
        message: "Completed 325 records without a single write: the destination already held every value",
        hint: "Nothing to do. If you expected writes, inspect per-field action rules and diagnostics counters",
      },
    ]);
  });

  it("counts would-update as writes in a dry run", () => {
    expect(diagnoseJob(makeCounters({ would_update: 1, skipped_no_change: 9 }))).toEqual([]);
  });

  it("says nothing about an empty job", () => {
    expect(diagnoseJob(emptyCounters())).toEqual([]);
  });

  // Changed with issue 13: a job whose every record lacked a destination used to get the action-rules hint too.
  it("names Missing Destination, not the action rules, when every record lacked a destination", () => {
    const diagnoses = diagnoseJob(makeCounters({ missing_destination: 12 }));

    expect(diagnoses.map((diagnosis) => diagnosis.code)).toEqual(["all_missing_destination"]);
    expect(diagnoses[0]!.message).toBe("Nothing to write: the destination has no record for any of the 12 serials");
    expect(diagnoses[0]!.hint).toBe("Review fetch contract endpoint and destination serial visibility");
  });

  it("says a single serial that is in no source is Missing Source, with a source hint", () => {
    const [diagnosis, ...rest] = diagnoseJob(makeCounters({ missing_source: 1 }));

    expect(rest).toEqual([]);
    expect(diagnosis).toMatchObject({ code: "all_missing_source", label: "Missing Source" });
    expect(diagnosis!.message).toBe("Nothing to write: the record is Missing Source (not in the source, or without a field the mapping requires)");
    expect(diagnosis!.hint).toMatch(/^Check that the serial is in the source/);
    expect(diagnosis!.hint).not.toMatch(/action rules/);
  });

  it("names both sides when records were missing on each and nothing else happened", () => {
    const diagnoses = diagnoseJob(makeCounters({ missing_source: 2, missing_destination: 3 }));

    expect(diagnoses.map((diagnosis) => diagnosis.code)).toEqual(["all_missing"]);
    expect(diagnoses[0]!.message).toBe("Nothing to write: 2 Missing Source and 3 Missing Destination of 5 records");
  });

  it("leaves records that failed to their own errors", () => {
    expect(diagnoseJob(makeCounters({ failed: 3 }))).toEqual([]);
    expect(diagnoseJob(makeCounters({ failed: 1, missing_source: 1 }))).toEqual([]);
  });

  it("counts one record in the singular", () => {
    expect(diagnoseJob(makeCounters({ skipped_no_change: 1 }))[0]?.message).toBe(
      "Completed 1 record without a single write: the destination already held every value",
    );
  });

  it("counts a few missing serials beside unchanged ones as up to date, and a failed record as a warning", () => {
    const [drift, ...none] = diagnoseJob(makeCounters({ skipped_no_change: 467, missing_source: 8, missing_destination: 25 }));
    expect(none).toEqual([]);
    expect(drift).toMatchObject({
      severity: "info",
      code: "up_to_date",
      message: "Completed 500 records without a single write: none needed one (467 unchanged, 8 Missing Source, 25 Missing Destination)",
    });

    const [failed] = diagnoseJob(makeCounters({ skipped_no_change: 3, failed: 1 }));
    expect(failed).toMatchObject({ severity: "warning", code: "no_writes", message: "Completed 4 records without a single write: 3 unchanged, 1 failed" });
  });

  it("adds the spike warning beside up to date when many serials had no destination record", () => {
    const diagnoses = diagnoseJob(makeCounters({ skipped_no_change: 10, missing_destination: 10 }));
    expect(diagnoses.map((diagnosis) => [diagnosis.code, diagnosis.severity])).toEqual([
      ["missing_destination_spike", "warning"],
      ["up_to_date", "info"],
    ]);
  });

  // "0 of 0 in scope" after a live sync is the cursor at work; the same zero from a complete read is not explained by it.
  it("says an incremental job that found nothing changed since its cursor has nothing to sync, as information", () => {
    const since = Date.UTC(2026, 11, 7, 4, 51, 12);

    expect(diagnoseJob({ ...makeCounters({}), incremental_since: since })).toEqual([
      {
        severity: "info",
        code: "nothing_changed",
        label: "nothing changed",
        message: "No source record changed since 2026-12-07T04:51:12.000Z and no serial failed last time: nothing to sync",
        hint: 'Nothing to do. To compare every record with the destination, start a full run with reset ("Full: every record" under Run now, --reset in the CLI); a dry one changes nothing',
      },
    ]);
    expect(diagnoseJob({ ...makeCounters({}), incremental_since: null })).toEqual([]);
    expect(diagnoseJob(makeCounters({}))).toEqual([]);
    // Once a record is in scope, the counters speak for themselves.
    expect(diagnoseJob({ ...makeCounters({ skipped_no_change: 3 }), incremental_since: since }).map((diagnosis) => diagnosis.code)).toEqual(["up_to_date"]);
  });

  it("marks every pattern but up to date a warning", () => {
    const cases = [
      makeCounters({ updated: 20, missing_destination: 5 }),
      makeCounters({ skipped_rule: 1 }),
      makeCounters({ missing_source: 2 }),
      makeCounters({ missing_destination: 2 }),
      makeCounters({ missing_source: 1, missing_destination: 1 }),
    ];
    for (const counters of cases) for (const diagnosis of diagnoseJob(counters)) expect(diagnosis.severity, diagnosis.code).toBe("warning");
  });
});

describe("engine errors", () => {
  it("gives every code a hint in every phase", () => {
    for (const code of ENGINE_ERROR_CODES) {
      for (const phase of [...REQUEST_PHASES, null]) expect(hintFor(code, phase).length).toBeGreaterThan(10);
    }
  });

  it("names If-Match when the destination asks for a precondition on writes", () => {
    const required = new EngineError({ code: "unexpected_status", http_status: 428, phase: "update", message: "PATCH https://x.example/t/1 returned 428" });
    expect(required.hint).toMatch(/set the update contract's if_match/);
    expect(hintFor("unexpected_status", "update", 409)).toMatch(/^Compare the response/);
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
