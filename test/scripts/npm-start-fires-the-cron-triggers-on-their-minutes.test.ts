import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM script without type declarations
import { cronMatches, cronTriggers, startLocalCron } from "../../scripts/local-cron.mjs";

const at = (iso: string) => new Date(iso);

describe("the cron expressions npm start reads", () => {
  it("takes wrangler.toml's triggers", () => {
    expect(cronTriggers(readFileSync("wrangler.toml", "utf8"))).toEqual(["* * * * *", "17 3 * * *"]);
  });

  it.each([
    ["* * * * *", "2026-12-07T10:42:00Z", true],
    ["17 3 * * *", "2026-12-07T03:17:00Z", true],
    ["17 3 * * *", "2026-12-07T03:18:00Z", false],
    ["17 3 * * *", "2026-12-07T04:17:00Z", false],
    ["*/15 * * * *", "2026-12-07T10:45:00Z", true],
    ["*/15 * * * *", "2026-12-07T10:46:00Z", false],
    ["0 9-17 * * 1-5", "2026-12-07T12:00:00Z", true], // a Monday
    ["0 9-17 * * 1-5", "2026-12-06T12:00:00Z", false], // a Sunday
    ["0 0 * * 7", "2026-12-06T00:00:00Z", true], // 7 is Sunday too
    ["0 0 1 * 1", "2026-12-07T00:00:00Z", true], // day of month or of week, as cron reads them
    ["0 0 1,15 6 *", "2026-06-15T00:00:00Z", true],
  ])("%s at %s: %s", (expression, iso, fires) => {
    expect(cronMatches(expression, at(iso))).toBe(fires);
  });

  it("refuses what it cannot read", () => {
    expect(() => cronMatches("* * * *", at("2026-12-07T00:00:00Z"))).toThrow(/5 fields/);
    expect(() => cronMatches("61 * * * *", at("2026-12-07T00:00:00Z"))).toThrow();
  });
});

// A clock and timers the test moves by hand; fetch records the URLs and answers, or fails like a server not up yet.
function harness(start: string, answers: "up" | "down" = "up") {
  let clock = Date.parse(start);
  const pending: Array<{ due: number; run: () => void; id: number }> = [];
  let ids = 0;
  const called: string[] = [];
  const logged: string[] = [];
  const timers = {
    setTimeout: (run: () => void, ms: number) => {
      pending.push({ due: clock + ms, run, id: ++ids });
      return ids;
    },
    clearTimeout: (id: number) =>
      void pending.splice(
        pending.findIndex((t) => t.id === id),
        1,
      ),
  };
  const fetchImpl = async (url: string) => {
    called.push(`${new Date(clock).toISOString().slice(11, 16)} ${decodeURIComponent(new URL(url).search)}`);
    if (answers === "down") throw new Error("connect ECONNREFUSED");
    return new Response("ok");
  };
  const advance = async (until: string) => {
    const end = Date.parse(until);
    for (;;) {
      pending.sort((a, b) => a.due - b.due);
      const next = pending[0];
      if (next === undefined || next.due > end) break;
      pending.shift();
      clock = next.due;
      next.run();
      await new Promise((resolve) => setImmediate(resolve));
    }
    clock = end;
  };
  return { now: () => clock, timers, fetchImpl, called, logged, log: (line: string) => logged.push(line), advance, pending };
}

describe("npm start's cron", () => {
  it("calls the scheduled handler for each trigger just after its minute starts, the daily one at 03:17 UTC only", async () => {
    const h = harness("2026-12-07T03:14:30Z");
    const cron = startLocalCron({ port: "8787", crons: ["* * * * *", "17 3 * * *"], ...h });
    await h.advance("2026-12-07T03:18:30Z");
    cron.stop();
    await h.advance("2026-12-07T03:30:00Z");

    expect(h.called).toEqual(["03:15 ?cron=* * * * *", "03:16 ?cron=* * * * *", "03:17 ?cron=* * * * *", "03:17 ?cron=17 3 * * *", "03:18 ?cron=* * * * *"]);
    expect(h.pending).toHaveLength(0);
    // Once, so the terminal says that wrangler's warning about scheduled Workers does not hold here.
    expect(h.logged).toEqual([`local cron: "* * * * *" fired at 03:15 UTC; wrangler's "not automatically triggered" warning does not apply to npm start`]);
  });

  it("says once that the server does not answer, and keeps trying each minute", async () => {
    const h = harness("2026-12-07T10:00:10Z", "down");
    const cron = startLocalCron({ port: "8799", crons: ["* * * * *"], ...h });
    await h.advance("2026-12-07T10:03:10Z");
    cron.stop();

    expect(h.called).toHaveLength(3);
    expect(h.logged).toEqual([expect.stringContaining('"* * * * *" could not reach the dev server (connect ECONNREFUSED)')]);
  });

  it("leaves a trigger it cannot read to curl, saying so, and fires the rest", async () => {
    const h = harness("2026-12-07T10:00:10Z");
    const cron = startLocalCron({ port: "8787", crons: ["0 3 * *", "* * * * *"], ...h });
    await h.advance("2026-12-07T10:01:10Z");
    cron.stop();

    expect(h.logged).toEqual([
      expect.stringContaining('"0 3 * *" is not fired locally (cron "0 3 * *" does not have 5 fields)'),
      expect.stringContaining("fired at 10:01 UTC"),
    ]);
    expect(h.called).toEqual(["10:01 ?cron=* * * * *"]);
  });
});
