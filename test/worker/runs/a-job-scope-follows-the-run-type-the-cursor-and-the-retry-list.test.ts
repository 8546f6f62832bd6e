import { describe, expect, it } from "vitest";
import { needsRetryCount, planScope, startCursor } from "../../../worker/runs/job-scope";
import { makeConfig, makeHttpSource } from "./job-factories";

const CURSOR = "2026-11-01T10:00:00.000Z";
const full = { type: "full" as const, reset: false, serial: null };

describe("a job's scope", () => {
  it("starts from the connection's cursor only for a full run that is not a reset, and only a readable one", () => {
    expect(startCursor(full, CURSOR)).toBe(CURSOR);
    expect(startCursor(full, null)).toBeNull();
    expect(startCursor({ ...full, reset: true }, CURSOR)).toBeNull();
    expect(startCursor({ type: "single", reset: false, serial: "DEV-00001" }, CURSOR)).toBeNull();
    expect(startCursor(full, "not a time")).toBeNull();
  });

  it("is one record for a single run, whatever the source", () => {
    expect(planScope({ type: "single", reset: false, serial: "DEV-00007" }, makeConfig("dataset").source, null, false)).toEqual({
      source: { kind: "single", serial: "DEV-00007", state: null, done: false },
      inScope: 1,
    });
  });

  it("reads a dataset whole, or only the rows changed since the cursor", () => {
    const dataset = makeConfig("dataset").source;
    expect(planScope(full, dataset, null, false).source).toEqual({ kind: "dataset", scope: { kind: "all" }, after: "", done: false });
    expect(planScope(full, dataset, CURSOR, false).source).toEqual({
      kind: "dataset",
      scope: { kind: "changed", sinceMs: Date.parse(CURSOR) },
      after: "",
      done: false,
    });
  });

  it("asks an HTTP source for changes since the cursor, unless last run's failed serials must be read too", () => {
    const source = makeHttpSource();
    expect(needsRetryCount(source, CURSOR)).toBe(true);
    const since = planScope(full, source, CURSOR, false);
    expect(since).toEqual({
      source: { kind: "http", state: null, since: CURSOR, filter: { afterMs: Date.parse(CURSOR), retries: false }, done: false },
      inScope: null,
    });
    // Retry serials may be older than the cursor: the source is read whole and filtered by the job.
    expect(planScope(full, source, CURSOR, true).source).toMatchObject({ since: null, filter: { afterMs: Date.parse(CURSOR), retries: true } });
  });

  it("reads an HTTP source whole without a cursor, or when its records carry no updated-at", () => {
    expect(needsRetryCount(makeHttpSource(), null)).toBe(false);
    expect(planScope(full, makeHttpSource(), null, false).source).toMatchObject({ since: null, filter: null });
    const undated = makeHttpSource({ updated_at_path: undefined });
    expect(needsRetryCount(undated, CURSOR)).toBe(false);
    expect(planScope(full, undated, CURSOR, true).source).toMatchObject({ since: null, filter: null });
    // Filtered by the job when the source cannot be asked for changes.
    expect(planScope(full, makeHttpSource({ since_param: undefined }), CURSOR, false).source).toMatchObject({
      since: null,
      filter: { afterMs: Date.parse(CURSOR), retries: false },
    });
  });
});
