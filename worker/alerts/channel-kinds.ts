import { z } from "zod";
import { isEmailAddress } from "./email-mime";
import { DEFAULT_EMAIL_FROM_NAME, EVENT_TYPES, PAGERDUTY_EVENTS_URL, PAGERDUTY_SEVERITIES, type ChannelKind } from "./vocabulary";

// The channel-kind registry: per kind, what config_json stores (with its defaults), which body field is the
// secret (or that one is generated), and which fields are outbound URLs or a connection scope. Creating and
// changing a channel, the dispatcher's parsing and (type-only) the web form all read it. Pure data: no
// worker runtime, so the web may import its types.

export const MAX_EMAIL_RECIPIENTS = 10;

export const emailAddressSchema = z.string().trim().max(254).refine(isEmailAddress, "is not an email address");

// "generated": a whsec_ signing secret made by the worker, returned once at creation and at each rotation.
// "field": the body field holding it is write-only; it is stored encrypted and only its hint is returned.
export type ChannelSecret = { source: "generated" } | { source: "field"; field: string } | null;

export interface ChannelKindEntry {
  config: z.ZodObject;
  // What a field left out of the create body becomes; the web shows a blank field as this.
  defaults: Readonly<Record<string, unknown>>;
  secret: ChannelSecret;
  // Checked against the deployment's outbound URL policy when set.
  outboundUrls: readonly string[];
  // Connection ids that must exist when set.
  connectionScope: string | null;
}

const WEBHOOK_DEFAULTS = { event_types: null, connection_ids: null } as const;
const PAGERDUTY_DEFAULTS = { events_url: PAGERDUTY_EVENTS_URL, severity: "error" } as const;
const EMAIL_DEFAULTS = { from_name: DEFAULT_EMAIL_FROM_NAME } as const;

export const CHANNEL_KIND_REGISTRY = {
  webhook: {
    config: z.object({
      url: z.string(),
      // null: every event type.
      event_types: z.array(z.enum(EVENT_TYPES)).nullable().default(WEBHOOK_DEFAULTS.event_types),
      // null: every connection's status changes.
      connection_ids: z.array(z.string()).nullable().default(WEBHOOK_DEFAULTS.connection_ids),
    }),
    defaults: WEBHOOK_DEFAULTS,
    secret: { source: "generated" },
    outboundUrls: ["url"],
    connectionScope: "connection_ids",
  },
  // The incoming-webhook URL grants posting, so it is the secret.
  slack: {
    config: z.object({}),
    defaults: {},
    secret: { source: "field", field: "webhook_url" },
    outboundUrls: ["webhook_url"],
    connectionScope: null,
  },
  pagerduty: {
    config: z.object({
      events_url: z.string().default(PAGERDUTY_DEFAULTS.events_url),
      severity: z.enum(PAGERDUTY_SEVERITIES).default(PAGERDUTY_DEFAULTS.severity),
    }),
    defaults: PAGERDUTY_DEFAULTS,
    secret: { source: "field", field: "routing_key" },
    outboundUrls: ["events_url"],
    connectionScope: null,
  },
  email: {
    config: z.object({
      from: z.string(),
      from_name: z.string().default(EMAIL_DEFAULTS.from_name),
      to: z.array(z.string()).min(1).max(MAX_EMAIL_RECIPIENTS),
    }),
    defaults: EMAIL_DEFAULTS,
    secret: null,
    outboundUrls: [],
    connectionScope: null,
  },
} as const satisfies Record<ChannelKind, ChannelKindEntry>;

export type ChannelKindRegistry = typeof CHANNEL_KIND_REGISTRY;
export type StoredChannelConfigs = { [K in ChannelKind]: z.output<ChannelKindRegistry[K]["config"]> };
export type ChannelDefaults = { [K in ChannelKind]: ChannelKindRegistry[K]["defaults"] };
export type ChannelConfigField<K extends ChannelKind> = keyof ChannelKindRegistry[K]["config"]["shape"] & string;
export type ChannelSecretField<K extends ChannelKind> = ChannelKindRegistry[K]["secret"] extends { source: "field"; field: infer F extends string } ? F : never;
// The body fields of a kind besides name and enabled.
export type ChannelField<K extends ChannelKind> = ChannelConfigField<K> | ChannelSecretField<K>;
export type GeneratesSecret<K extends ChannelKind> = ChannelKindRegistry[K]["secret"] extends { source: "generated" } ? true : false;

export function channelFields(kind: ChannelKind): string[] {
  const entry: ChannelKindEntry = CHANNEL_KIND_REGISTRY[kind];
  return [...Object.keys(entry.config.shape), ...(entry.secret?.source === "field" ? [entry.secret.field] : [])];
}

export function secretFieldOf(kind: ChannelKind): string | null {
  const secret: ChannelSecret = CHANNEL_KIND_REGISTRY[kind].secret;
  return secret?.source === "field" ? secret.field : null;
}

export function generatesSecret(kind: ChannelKind): boolean {
  const secret: ChannelSecret = CHANNEL_KIND_REGISTRY[kind].secret;
  return secret?.source === "generated";
}
