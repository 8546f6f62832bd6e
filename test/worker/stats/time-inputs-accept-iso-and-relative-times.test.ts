import { describe, expect, it } from "vitest";
import { durationText } from "../../../worker/stats/duration-text";
import { DAY_MS, HOUR_MS, parseTimeInput, resolveTimeRange, TimeInputError, TimeRangeOrderError } from "../../../worker/stats/time-range";

const NOW = Date.UTC(2026, 10, 22, 12, 0);

describe("time inputs", () => {
  it.each([
    ["24h", NOW - 24 * HOUR_MS],
    ["7d", NOW - 7 * DAY_MS],
    ["2w", NOW - 14 * DAY_MS],
    ["30m", NOW - 30 * 60_000],
    ["3 days ago", NOW - 3 * DAY_MS],
    ["now", NOW],
    ["2026-11-20", Date.UTC(2026, 10, 20)],
    ["2026-11-20T08:30:00Z", Date.UTC(2026, 10, 20, 8, 30)],
    ["2026-11-20T08:30", Date.UTC(2026, 10, 20, 8, 30)],
    ["2026-11-20T08:30:00+02:00", Date.UTC(2026, 10, 20, 6, 30)],
  ])("reads %s", (input, expected) => {
    expect(parseTimeInput("since", input, NOW)).toBe(expected);
  });

  it.each(["yesterday", "7 fortnights", "2026-13-45", "", "-5d"])("refuses %j, naming the field and the accepted forms", (input) => {
    expect(() => parseTimeInput("until", input, NOW)).toThrow(TimeInputError);
    // The field travels beside the message (the API's issue path), so a message never names it twice.
    expect(() => parseTimeInput("until", input, NOW)).toThrow(
      expect.objectContaining({ field: "until", message: expect.stringMatching(/^".*" is not .* "24h"/) }),
    );
  });

  it("defaults since to a span before until and refuses a reversed range", () => {
    expect(resolveTimeRange({}, NOW, DAY_MS)).toEqual({ since: NOW - DAY_MS, until: NOW });
    expect(resolveTimeRange({ until: "2026-11-21" }, NOW, DAY_MS)).toEqual({ since: Date.UTC(2026, 10, 20), until: Date.UTC(2026, 10, 21) });
    expect(() => resolveTimeRange({ since: "1h", until: "2d" }, NOW, DAY_MS)).toThrow(TimeRangeOrderError);
  });

  it("writes durations the way the jobs view does", () => {
    expect([850, 4_200, 42_000, 102_000, 7_500_000, 3 * DAY_MS + 4 * HOUR_MS].map(durationText)).toEqual(["850 ms", "4.2s", "42s", "1m 42s", "2h 5m", "3d 4h"]);
    expect(durationText(null)).toBeNull();
  });
});
