import { describe, expect, it } from "vitest";
import { coordinatorConfig, DEFAULT_COORDINATOR_CONFIG, withTuning } from "../../../worker/runs/coordinator-config";

describe("the coordinator's tuning", () => {
  it("is the defaults when COORDINATOR_TUNING is unset or blank", () => {
    expect(coordinatorConfig({})).toEqual(DEFAULT_COORDINATOR_CONFIG);
    expect(coordinatorConfig({ COORDINATOR_TUNING: "  " })).toEqual(DEFAULT_COORDINATOR_CONFIG);
  });

  it("takes the settings the var names and keeps the defaults for the rest", () => {
    const config = coordinatorConfig({ COORDINATOR_TUNING: JSON.stringify({ sliceRecords: 8, sliceGapMs: 3_600_000 }) });
    expect(config).toEqual({ ...DEFAULT_COORDINATOR_CONFIG, sliceRecords: 8, sliceGapMs: 3_600_000 });
  });

  it("refuses a var that is not a JSON object, an unknown setting or a value that is not a count", () => {
    expect(() => coordinatorConfig({ COORDINATOR_TUNING: "{sliceRecords: 8" })).toThrow(/not JSON/);
    expect(() => coordinatorConfig({ COORDINATOR_TUNING: "[1]" })).toThrow(/JSON object/);
    expect(() => coordinatorConfig({ COORDINATOR_TUNING: '{"sliceRecord": 8}' })).toThrow(/unknown setting "sliceRecord"/);
    expect(() => coordinatorConfig({ COORDINATOR_TUNING: '{"sliceGapMs": -1}' })).toThrow(/sliceGapMs must be a whole number of at least 0/);
    expect(() => coordinatorConfig({ COORDINATOR_TUNING: '{"watchdogMs": "30s"}' })).toThrow(/watchdogMs/);
    // A slice of no records or a checkpoint every 0 outcomes would stall a run.
    expect(() => coordinatorConfig({ COORDINATOR_TUNING: '{"sliceRecords": 0}' })).toThrow(/at least 1/);
    expect(() => coordinatorConfig({ COORDINATOR_TUNING: '{"checkpointEvery": 2.5}' })).toThrow(/checkpointEvery/);
  });

  it("gives one object its own settings without changing the config it started from", () => {
    const base = coordinatorConfig({});
    const tuned = withTuning(base, { checkpointEvery: 3 });
    expect(tuned.checkpointEvery).toBe(3);
    expect(base).toEqual(DEFAULT_COORDINATOR_CONFIG);
    expect(DEFAULT_COORDINATOR_CONFIG.checkpointEvery).toBe(500);
  });
});
