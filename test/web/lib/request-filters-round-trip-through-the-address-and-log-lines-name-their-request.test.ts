import { describe, expect, it } from "vitest";
import { httpEventTarget, parseRequestFilters, requestsHref } from "../../../web/src/lib/request-log";

describe("the request inspector's address", () => {
  it("round-trips every filter, in one key order", () => {
    const href = requestsHref("job_1", { url: "/devices/", phase: "update", method: "PATCH", status: "5xx", serial: "DEV-00001" });

    expect(href).toBe("/jobs/job_1?tab=requests&serial=DEV-00001&status=5xx&method=PATCH&phase=update&url=%2Fdevices%2F");
    expect(parseRequestFilters(new URL(href, "http://localhost").search)).toEqual({
      serial: "DEV-00001",
      status: "5xx",
      method: "PATCH",
      phase: "update",
      url: "/devices/",
    });
  });

  it("drops values it does not know, so a hand-edited address still opens a view", () => {
    expect(parseRequestFilters("?status=6xx&phase=teleport&method=brew&serial=%20%20")).toEqual({
      serial: null,
      status: null,
      method: null,
      phase: null,
      url: null,
    });
    expect(parseRequestFilters("?method=put").method).toBe("PUT");
  });
});

describe("a log line's request", () => {
  it("is the method and path of a retry, a rate-limit wait or a token refresh, without trailing punctuation", () => {
    expect(httpEventTarget("Retrying PATCH /api/devices/DEV-00001 after status 503 (attempt 2), waiting 500 ms")).toEqual({
      method: "PATCH",
      url: "/api/devices/DEV-00001",
    });
    expect(httpEventTarget("Rate limited (429) on GET /api/fleet: waiting 1000 ms")).toEqual({ method: "GET", url: "/api/fleet" });
    expect(httpEventTarget("Dry full run started, complete: 500 records in scope")).toBeNull();
  });
});
