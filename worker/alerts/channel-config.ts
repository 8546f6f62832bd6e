import { z } from "zod";
import { isEmailAddress } from "./email-mime";
import { CHANNEL_KINDS, DEFAULT_EMAIL_FROM_NAME, EVENT_TYPES, PAGERDUTY_EVENTS_URL, PAGERDUTY_SEVERITIES, type ChannelKind, type PayloadType } from "./vocabulary";

// What alert_channels.config_json holds per kind. Secrets are not here: the webhook signing secret,
// the Slack webhook URL (it grants posting) and the PagerDuty routing key live in secret_ciphertext.

export const MAX_EMAIL_RECIPIENTS = 10;

export const emailAddressSchema = z.string().trim().max(254).refine(isEmailAddress, "is not an email address");

export const STORED_CHANNEL_CONFIG = {
  webhook: z.object({
    url: z.string(),
    // null: every event type.
    event_types: z.array(z.enum(EVENT_TYPES)).nullable().default(null),
    // null: every connection's status changes.
    connection_ids: z.array(z.string()).nullable().default(null),
  }),
  slack: z.object({}),
  pagerduty: z.object({
    events_url: z.string().default(PAGERDUTY_EVENTS_URL),
    severity: z.enum(PAGERDUTY_SEVERITIES).default("error"),
  }),
  email: z.object({
    from: z.string(),
    from_name: z.string().default(DEFAULT_EMAIL_FROM_NAME),
    to: z.array(z.string()).min(1).max(MAX_EMAIL_RECIPIENTS),
  }),
} as const satisfies Record<ChannelKind, z.ZodType>;

export type StoredChannelConfigs = { [K in ChannelKind]: z.output<(typeof STORED_CHANNEL_CONFIG)[K]> };

export type ChannelConfig = { [K in ChannelKind]: { kind: K; config: StoredChannelConfigs[K] } }[ChannelKind];

export function parseChannelConfig(kind: ChannelKind, json: string): ChannelConfig {
  const parsed: unknown = JSON.parse(json);
  switch (kind) {
    case "webhook":
      return { kind, config: STORED_CHANNEL_CONFIG.webhook.parse(parsed) };
    case "slack":
      return { kind, config: STORED_CHANNEL_CONFIG.slack.parse(parsed) };
    case "pagerduty":
      return { kind, config: STORED_CHANNEL_CONFIG.pagerduty.parse(parsed) };
    case "email":
      return { kind, config: STORED_CHANNEL_CONFIG.email.parse(parsed) };
  }
}

export function isChannelKind(value: string): value is ChannelKind {
  return (CHANNEL_KINDS as readonly string[]).includes(value);
}

// A webhook scoped to some connections hears only the status changes of runs and jobs that touch one of them.
export function channelCovers(channel: ChannelConfig, connectionIds: readonly string[]): boolean {
  if (channel.kind !== "webhook" || channel.config.connection_ids === null) return true;
  const scope = channel.config.connection_ids;
  return connectionIds.some((id) => scope.includes(id));
}

// Status changes go only to custom webhooks; Slack, PagerDuty and email are alert channels, fed by rules.
export function channelAccepts(channel: ChannelConfig, type: PayloadType): boolean {
  switch (channel.kind) {
    case "webhook":
      return type === "alert.test" || channel.config.event_types === null || channel.config.event_types.includes(type);
    case "slack":
    case "pagerduty":
    case "email":
      return type === "alert.raised" || type === "alert.resolved" || type === "alert.test";
  }
}
