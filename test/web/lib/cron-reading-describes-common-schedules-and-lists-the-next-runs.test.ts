import { describe, expect, it } from "vitest";
import { describeCron } from "../../../web/src/lib/cron-reading";
import { nextRuns } from "../../../web/src/lib/cron-next-runs";

describe("describeCron", () => {
  it.each([
    ["0 3 * * *", "every day at 03:00 UTC"],
    ["30 14 * * *", "every day at 14:30 UTC"],
    ["0 9,17 * * *", "every day at 09:00 and 17:00 UTC"],
    ["* * * * *", "every minute"],
    ["*/15 * * * *", "every 15 minutes"],
    ["0 * * * *", "every hour, on the hour"],
    ["5 * * * *", "every hour at :05"],
    ["0 */6 * * *", "every 6 hours, on the hour (UTC)"],
    ["0 6 * * 1-5", "every weekday (Monday to Friday) at 06:00 UTC"],
    ["0 6 * * MON", "every Monday at 06:00 UTC"],
    ["15 2 * * 0,6", "every Saturday and Sunday at 02:15 UTC"],
    ["0 0 * * 7", "every Sunday at 00:00 UTC"],
    ["0 4 1 * *", "on the 1st of every month at 04:00 UTC"],
    ["0 4 1,15 * *", "on the 1st and 15th of every month at 04:00 UTC"],
    ["0 0 1 1 *", "every year on 1 January at 00:00 UTC"],
  ])("reads %s as %s", (expression, reading) => {
    expect(describeCron(expression)).toBe(reading);
  });

  it.each([["*/10 9-17 * * 1-5"], ["0 3 1 * 1"], ["0 3 * * * *"], ["not a cron"]])("falls back to the raw expression for %s", (expression) => {
    expect(describeCron(expression)).toBe(expression);
  });

  it("tolerates extra spaces around and between fields", () => {
    expect(describeCron("  0   3 * *  * ")).toBe("every day at 03:00 UTC");
  });
});

describe("nextRuns", () => {
  const noon = new Date("2026-11-22T12:00:00Z");

  it("lists the next three runs in UTC from the given time", () => {
    const check = nextRuns("0 3 * * *", 3, noon);

    expect(check.ok && check.next.map((run) => run.toISOString())).toEqual([
      "2026-11-23T03:00:00.000Z",
      "2026-11-24T03:00:00.000Z",
      "2026-11-25T03:00:00.000Z",
    ]);
  });

  it("skips to the weekdays a weekday schedule names", () => {
    // 2026-11-27 is a Friday: the run after it is on Monday.
    const check = nextRuns("0 6 * * 1-5", 2, new Date("2026-11-27T07:00:00Z"));

    expect(check.ok && check.next.map((run) => run.toISOString())).toEqual(["2026-11-30T06:00:00.000Z", "2026-12-01T06:00:00.000Z"]);
  });

  it("says why an expression cannot be scheduled", () => {
    const wrongCount = nextRuns("0 3 * *", 3, noon);
    const outOfRange = nextRuns("61 3 * * *", 3, noon);

    expect(wrongCount).toEqual({ ok: false, problem: expect.stringContaining("5 fields") });
    expect(outOfRange).toEqual({ ok: false, problem: expect.stringContaining("minute") });
  });
});
