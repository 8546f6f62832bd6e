import { describe, expect, it } from "vitest";
import { EMPTY_FILTERS, parseRunFilters, runFiltersSearch, runMatchesFilters, toRunListQuery } from "../../../web/src/lib/run-filters";
import { makeJob, makeRun } from "../factories";

describe("run filters in the address", () => {
  it("read every filter back as it was written", () => {
    const filters = {
      status: "failed",
      connection: "conn_demo_json",
      credential: "cred_demo_fleet",
      type: "single",
      mode: "live",
      since: "24h",
      until: "2026-11-22T00:00:00Z",
      serial: "DEV-00001",
    } as const;

    expect(parseRunFilters(runFiltersSearch(filters))).toEqual(filters);
  });

  it("write one address per view: fixed key order, empty filters left out", () => {
    expect(runFiltersSearch({ ...EMPTY_FILTERS, serial: "DEV-1", status: "running" })).toBe("?status=running&serial=DEV-1");
    expect(runFiltersSearch(EMPTY_FILTERS)).toBe("");
  });

  it("drop values a hand-edited address got wrong, keeping the rest", () => {
    const filters = parseRunFilters("?status=exploded&type=single&mode=&since=yesterday&serial=%20%20");

    expect(filters).toEqual({ ...EMPTY_FILTERS, type: "single" });
  });

  it("become the API's query names", () => {
    expect(toRunListQuery({ ...EMPTY_FILTERS, credential: "cred_1", since: "7d" })).toEqual({ credential: "cred_1", since: "7d" });
  });
});

describe("a run brought by the live feed", () => {
  const now = Date.parse("2026-11-22T12:30:00Z");

  it("joins a filtered list only when it passes the same filters", () => {
    const run = makeRun({ status: "running", type: "single", serial: "DEV-7", created_at: "2026-11-22T12:29:00Z" });

    expect(runMatchesFilters(run, null, { ...EMPTY_FILTERS, type: "single", since: "1h" }, now)).toBe(true);
    expect(runMatchesFilters(run, null, { ...EMPTY_FILTERS, status: "failed" }, now)).toBe(false);
    expect(runMatchesFilters(run, null, { ...EMPTY_FILTERS, serial: "DEV-8" }, now)).toBe(false);
    expect(runMatchesFilters({ ...run, created_at: "2026-11-22T10:00:00Z" }, null, { ...EMPTY_FILTERS, since: "1h" }, now)).toBe(false);
  });

  it("matches a connection filter by its jobs", () => {
    const run = makeRun();

    expect(runMatchesFilters(run, [makeJob({ connection_id: "conn_a" })], { ...EMPTY_FILTERS, connection: "conn_a" }, now)).toBe(true);
    expect(runMatchesFilters(run, [makeJob({ connection_id: "conn_b" })], { ...EMPTY_FILTERS, connection: "conn_a" }, now)).toBe(false);
  });
});
