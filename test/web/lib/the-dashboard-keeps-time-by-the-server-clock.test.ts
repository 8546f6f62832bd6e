import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApiClient } from "../../../web/src/lib/api";
import { noteServerDate, resetServerClock, serverClockOffset, serverNow } from "../../../web/src/lib/server-clock";
import { jsonResponse, makeConnection } from "../factories";

// The browser's clock here; every server time below is stated against it.
const BROWSER_NOW = Date.parse("2026-11-20T11:00:00.000Z");
const HOUR = 3_600_000;
const httpDate = (ms: number) => new Date(ms).toUTCString();

describe("the server clock", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: BROWSER_NOW, toFake: ["Date"] });
    resetServerClock();
  });
  afterEach(() => {
    vi.useRealTimers();
    resetServerClock();
  });

  it("takes the offset from a Date header, at the middle of its second and of the round trip", () => {
    noteServerDate(httpDate(BROWSER_NOW - HOUR), BROWSER_NOW - 200, BROWSER_NOW);
    // Server second 10:00:00 → 10:00:00.5; browser midpoint 10:59:59.9.
    expect(serverClockOffset()).toBe(-HOUR + 600);
    expect(serverNow()).toBe(BROWSER_NOW - HOUR + 600);
  });

  it("leaves a clock within two seconds alone, so a right one never jitters", () => {
    noteServerDate(httpDate(BROWSER_NOW + 1_000), BROWSER_NOW - 50, BROWSER_NOW);
    expect(serverClockOffset()).toBe(0);
    noteServerDate(httpDate(BROWSER_NOW + 3 * HOUR), BROWSER_NOW - 50, BROWSER_NOW);
    noteServerDate(httpDate(BROWSER_NOW), BROWSER_NOW - 50, BROWSER_NOW);
    expect(serverClockOffset()).toBe(0);
  });

  it("keeps a correction of about two seconds through answers that blur it, and drops it when the clocks agree", () => {
    noteServerDate(httpDate(BROWSER_NOW + 2_000), BROWSER_NOW - 100, BROWSER_NOW);
    expect(serverClockOffset()).toBe(2_550);
    // A slower answer whose header names the second before: 1.95 s, under the threshold but within a second of the
    // correction, which stays.
    noteServerDate(httpDate(BROWSER_NOW + 1_000), BROWSER_NOW - 900, BROWSER_NOW);
    expect(serverClockOffset()).toBe(2_550);
    noteServerDate(httpDate(BROWSER_NOW + 5_000), BROWSER_NOW - 100, BROWSER_NOW);
    expect(serverClockOffset()).toBe(5_550);
    noteServerDate(httpDate(BROWSER_NOW - 1_000), BROWSER_NOW - 100, BROWSER_NOW);
    expect(serverClockOffset()).toBe(0);
  });

  it("ignores an answer without a usable header or one that took too long to say when it was written", () => {
    noteServerDate(httpDate(BROWSER_NOW + HOUR), BROWSER_NOW - 100, BROWSER_NOW);
    const learnt = serverClockOffset();
    noteServerDate(null, BROWSER_NOW - 100, BROWSER_NOW);
    noteServerDate("not a date", BROWSER_NOW - 100, BROWSER_NOW);
    noteServerDate(httpDate(BROWSER_NOW - HOUR), BROWSER_NOW - 10_000, BROWSER_NOW);
    expect(serverClockOffset()).toBe(learnt);
    expect(learnt).toBeGreaterThan(HOUR - 1_000);
  });

  it("is set by every API answer", async () => {
    const client = createApiClient({
      fetch: async () => {
        const answer = jsonResponse({ data: [makeConnection()], next_cursor: null });
        answer.headers.set("date", httpDate(BROWSER_NOW + 2 * HOUR));
        return answer;
      },
    });
    await client.connections();
    expect(Math.abs(serverClockOffset() - 2 * HOUR)).toBeLessThanOrEqual(1_000);
  });
});
