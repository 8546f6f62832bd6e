import type { Env } from "../env";
import { errorMessage } from "../../shared/lang";
import { claimChannelTests, dueChannelTests, recordChannelTests, type ChannelTestOutcome } from "../ledger/alerts-channel-tests";
import { outboundFetch } from "../outbound";
import { nextFireAfter } from "../schedule/next-fire";
import { testChannel, testOutcome } from "./test-send";
import { log } from "../observability/log";

// At most this many channels are tested per minute tick; the rest are due at the next one.
export const SCHEDULED_TESTS_PER_TICK = 25;

export interface ScheduledTestsReport {
  due: number;
  sent: number;
  failed: number;
}

/**
 * The minute tick's scheduled channel tests: each due channel is claimed (its next test moved to the schedule's
 * next fire after this tick, so a late or repeated tick sends one test, not one per missed fire), then the
 * enabled ones are sent side by side and each outcome recorded on its channel. A disabled channel's test is
 * skipped: an admin turned it off, or it failed for days and says why.
 */
export async function sendDueChannelTests(env: Env, now: number, fetchImpl: typeof fetch = outboundFetch(env)): Promise<ScheduledTestsReport> {
  const due = await dueChannelTests(env.LEDGER, now, SCHEDULED_TESTS_PER_TICK);
  const claimed = await claimChannelTests(
    env.LEDGER,
    due.map((channel) => ({ id: channel.id, dueAt: channel.test_next_at, nextAt: nextFireAfter(channel.test_schedule, now) })),
  );
  const sending = due.filter((channel) => claimed.has(channel.id) && channel.enabled === 1);
  const outcomes = await Promise.all(
    sending.map(async (channel): Promise<ChannelTestOutcome> => {
      try {
        return testOutcome(channel.id, await testChannel(env, channel, Date.now(), fetchImpl), "scheduled");
      } catch (err) {
        // One channel whose secret cannot be opened must not cost the others their recorded outcome.
        log.error("a scheduled channel test could not be sent", { channel_id: channel.id, error: err });
        return { channelId: channel.id, at: Date.now(), ok: false, statusCode: null, error: errorMessage(err), trigger: "scheduled" };
      }
    }),
  );
  await recordChannelTests(env.LEDGER, outcomes);
  return { due: due.length, sent: outcomes.length, failed: outcomes.filter((o) => !o.ok).length };
}
