import { z } from "zod";
import { listAlertChannels, toChannelSummary } from "../ledger/alerts-channels";
import { pendingDeliveriesByChannel } from "../ledger/alerts-deliveries";

// "Are my alerts getting through?": each channel's health as the Alerts screen shows it, with the alerts waiting to
// be delivered to it. Read-only; secrets and the channel's settings stay out of it.

const MAX_CHANNELS = 200;

export const LIST_ALERT_CHANNELS_TOOL = {
  name: "list_alert_channels",
  title: "List alert channels and their health",
  description:
    "Lists the alert channels (Slack, email, PagerDuty, webhook) with whether alerts reach them: state ok (the last " +
    "delivery attempt succeeded), failing (attempts failing since failing_since: alerts are retried, and a channel failing " +
    "for days is disabled), disabled (by a person, or by the dispatcher with disabled_reason), or untested (nothing sent " +
    "yet); the last success and failure, alerts still waiting to be delivered, and the last test message with what the " +
    'receiver answered. Example: "are my alerts getting through?" → {} and read each state; only the broken ones → {"failing_only":true}.',
  inputSchema: {
    failing_only: z.boolean().optional().describe("Only channels that are failing or disabled."),
  },
};

export type ChannelState = "ok" | "failing" | "disabled" | "untested";

export async function listAlertChannelsTool(db: D1Database, args: { failing_only?: boolean }, now: number): Promise<Record<string, unknown>> {
  const [{ rows, hasMore }, pending] = await Promise.all([listAlertChannels(db, { afterId: null, limit: MAX_CHANNELS }), pendingDeliveriesByChannel(db)]);
  const channels = rows.map((row) => {
    const channel = toChannelSummary(row, now);
    const state: ChannelState = !channel.enabled
      ? "disabled"
      : channel.health.failing_since !== null
        ? "failing"
        : channel.health.last_success_at === null && channel.health.last_failure_at === null
          ? "untested"
          : "ok";
    return {
      id: channel.id,
      name: channel.name,
      kind: channel.kind,
      state,
      disabled_reason: channel.disabled_reason,
      last_success_at: channel.health.last_success_at,
      last_failure_at: channel.health.last_failure_at,
      failing_since: channel.health.failing_since,
      pending_deliveries: pending.get(channel.id) ?? 0,
      last_test: channel.last_test,
      next_test_at: channel.next_test_at,
    };
  });
  const shown = args.failing_only ? channels.filter((c) => c.state === "failing" || c.state === "disabled") : channels;
  return {
    count: shown.length,
    failing: channels.filter((c) => c.state === "failing").length,
    disabled: channels.filter((c) => c.state === "disabled").length,
    ...(hasMore ? { truncated: `only the first ${MAX_CHANNELS} channels by id` } : {}),
    channels: shown,
  };
}
