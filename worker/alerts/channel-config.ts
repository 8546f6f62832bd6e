import { CHANNEL_KIND_REGISTRY, type ChannelKindEntry, type StoredChannelConfigs } from "./channel-kinds";
import { CHANNEL_KINDS, type ChannelKind, type PayloadType } from "./vocabulary";

// What alert_channels.config_json holds per kind, built and read through the channel-kind registry. Secrets
// are not here: the webhook signing secret, the Slack webhook URL (it grants posting) and the PagerDuty
// routing key live in secret_ciphertext.

export type ChannelConfig = { [K in ChannelKind]: { kind: K; config: StoredChannelConfigs[K] } }[ChannelKind];

// `fields` set over `current` (null on create, where the defaults fill what is left out); a field given as
// null is set to null. Fields that are not the kind's config (the secret, name, enabled) are ignored.
export function buildChannelConfig(kind: ChannelKind, current: object | null, fields: Readonly<Record<string, unknown>>): ChannelConfig["config"] {
  const entry: ChannelKindEntry = CHANNEL_KIND_REGISTRY[kind];
  const given = Object.fromEntries(Object.keys(entry.config.shape).flatMap((field) => (fields[field] === undefined ? [] : [[field, fields[field]]])));
  return entry.config.parse({ ...current, ...given }) as ChannelConfig["config"];
}

export function parseChannelConfig(kind: ChannelKind, json: string): ChannelConfig {
  const entry: ChannelKindEntry = CHANNEL_KIND_REGISTRY[kind];
  // The registry's entry for `kind` parses exactly StoredChannelConfigs[kind]; TypeScript cannot correlate the two.
  return { kind, config: entry.config.parse(JSON.parse(json)) } as ChannelConfig;
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
