import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import entry from "../../../worker/index";
import { listPasses } from "../../../worker/ledger/retention";
import { DAY_MS } from "../../../worker/stats/time-range";
import { countHistory, makeHistory } from "../factories";

describe("the daily cron trigger", () => {
  it("runs a retention pass that removes what is older than the window", async () => {
    await makeHistory(Date.now() - 45 * DAY_MS);
    await makeHistory(Date.now() - DAY_MS);

    await entry.scheduled(createScheduledController({ cron: "17 3 * * *", scheduledTime: Date.now() }), env);

    const [pass] = await listPasses(env.LEDGER, 5);
    expect(pass).toMatchObject({ status: "completed", invocations: 1 });
    expect((await countHistory()).jobs).toBe(1);
  });
});
