import type { ChannelConfigField, ChannelDefaults, ChannelField, ChannelKindRegistry, GeneratesSecret } from "../../../worker/alerts/channel-kinds";
import type { ChannelKind, EventType, PagerDutySeverity } from "../../../worker/alerts/vocabulary";

// How the dashboard shows each channel kind. The worker's channel-kind registry, imported for its types only,
// decides the fields, the secret and the defaults; the `satisfies` clauses below make a kind or a field the
// registry gains without a presentation here fail type checking, and a default that drifts from the worker's
// (they are literal types) too.

export type ConnectionScope = "all" | "chosen";

// The form's state: every kind's fields side by side, so switching the kind while creating keeps what was typed.
export interface ChannelDraft {
  kind: ChannelKind;
  name: string;
  url: string;
  // Empty: every status change and alert.
  event_types: EventType[];
  // Webhooks: every connection's status changes, or the chosen connections'.
  scope: ConnectionScope;
  connection_ids: string[];
  webhook_url: string;
  routing_key: string;
  // PagerDuty: blank means the public Events API v2 endpoint.
  events_url: string;
  severity: PagerDutySeverity;
  to: string;
  from: string;
  from_name: string;
  // Every kind: a 5-field cron (UTC) for a scheduled test message; blank: none.
  test_schedule: string;
}

export const CHANNEL_DEFAULTS = {
  webhook: { event_types: null, connection_ids: null },
  slack: {},
  pagerduty: { events_url: "https://events.pagerduty.com/v2/enqueue", severity: "error" },
  email: { from_name: "Outbound Sync" },
} as const satisfies ChannelDefaults;

// A draft field holding plain text the admin types.
type TextDraftField = Exclude<{ [F in keyof ChannelDraft]: string extends ChannelDraft[F] ? F : never }[keyof ChannelDraft], "name" | "test_schedule">;

interface TextForm {
  label: string;
  type?: "url" | "email";
  wide?: boolean;
  mono?: boolean;
  placeholder?: string;
  hint?: string;
  // When editing, if it differs.
  editHint?: string;
}

export type FieldForm =
  // Trimmed; blank means the registry's default where there is one.
  | ({ control: "text"; name: TextDraftField } & TextForm)
  // Write-only: never filled in when editing, and left blank it keeps the stored one.
  | { control: "secret"; name: TextDraftField; label: string; type: "url" | "password"; wide?: boolean; mono?: boolean; autocomplete?: "off"; hint: string }
  // Addresses separated by commas, semicolons or whitespace.
  | { control: "recipients"; name: TextDraftField; label: string; wide?: boolean; placeholder: string; hint: string }
  | { control: "event-types"; name: "event_types" }
  | { control: "connection-scope"; name: "connection_ids"; hint: string }
  | { control: "severity"; name: "severity"; label: string };

// The table names each field by its key, so its form leaves the name out.
type Unnamed<T> = T extends unknown ? Omit<T, "name"> : never;
type FormOf<F extends string> = F extends "event_types" | "connection_ids" | "severity"
  ? Unnamed<Extract<FieldForm, { name: F }>>
  : F extends TextDraftField
    ? Unnamed<Extract<FieldForm, { control: "text" | "secret" | "recipients" }>>
    : never;

interface KindForm<K extends ChannelKind> {
  label: string;
  hint: string;
  // In the form's order.
  fields: { [F in ChannelField<K>]: FormOf<F> };
  // What the channel list shows as where the channel sends.
  destination: { label: string; field: ChannelConfigField<K> } | null;
  // What the list calls the secret whose hint it shows; a generated one can be rotated.
  secret: ChannelKindRegistry[K]["secret"] extends null ? null : { label: string; rotates: GeneratesSecret<K> };
}

export const CHANNEL_KIND_FORMS = {
  webhook: {
    label: "Webhook (custom)",
    hint: "A signed POST on any status change.",
    fields: {
      url: {
        control: "text",
        label: "Endpoint URL",
        type: "url",
        wide: true,
        mono: true,
        placeholder: "https://hooks.example.com/outbound-sync",
        hint: "Signed per Standard Webhooks; the whsec_ secret is shown once after creating.",
        editHint: "Signed per Standard Webhooks; Rotate secret replaces the whsec_ secret.",
      },
      event_types: { control: "event-types" },
      connection_ids: { control: "connection-scope", hint: "Status changes of runs and jobs of these connections are POSTed." },
    },
    destination: { label: "Endpoint", field: "url" },
    secret: { label: "Signing secret", rotates: true },
  },
  slack: {
    label: "Slack",
    hint: "A Block Kit message through an incoming webhook.",
    fields: {
      webhook_url: {
        control: "secret",
        label: "Slack incoming-webhook URL",
        type: "url",
        wide: true,
        mono: true,
        hint: "Write-only: it grants posting, so it is stored encrypted and never shown again.",
      },
    },
    destination: null,
    secret: { label: "Webhook URL", rotates: false },
  },
  pagerduty: {
    label: "PagerDuty",
    hint: "Events API v2: triggers an incident, resolves it on recovery.",
    fields: {
      routing_key: { control: "secret", label: "Routing key", type: "password", autocomplete: "off", hint: "Write-only; stored encrypted." },
      severity: { control: "severity", label: "Severity" },
      events_url: {
        control: "text",
        label: "Events API URL (optional)",
        type: "url",
        wide: true,
        mono: true,
        placeholder: CHANNEL_DEFAULTS.pagerduty.events_url,
        hint: "Blank: PagerDuty's Events API v2. Set it for an EU account or a proxy.",
      },
    },
    destination: { label: "Endpoint", field: "events_url" },
    secret: { label: "Routing key", rotates: false },
  },
  email: {
    label: "Email",
    hint: "Through the send_email binding, to the recipients you list.",
    fields: {
      to: {
        control: "recipients",
        label: "Recipients",
        wide: true,
        placeholder: "oncall@example.com, team@example.com",
        hint: "Up to 10 addresses, separated by commas or lines.",
      },
      from: { control: "text", label: "From address", type: "email", placeholder: "alerts@example.com" },
      from_name: {
        control: "text",
        label: "From name (optional)",
        placeholder: CHANNEL_DEFAULTS.email.from_name,
        editHint: `Blank: ${CHANNEL_DEFAULTS.email.from_name}.`,
      },
    },
    destination: { label: "To", field: "to" },
    secret: null,
  },
} satisfies { [K in ChannelKind]: KindForm<K> };

export const CHANNEL_KIND_OPTIONS = (Object.keys(CHANNEL_KIND_FORMS) as ChannelKind[]).map((value) => ({ value, label: CHANNEL_KIND_FORMS[value].label }));

export function channelFormFields(kind: ChannelKind): FieldForm[] {
  // Each entry's key is its field's name; the table's type pairs every name with a form of its control.
  return Object.entries(CHANNEL_KIND_FORMS[kind].fields).map(([name, form]) => ({ ...form, name }) as FieldForm);
}

// The registry default of a field, if it has one.
export function defaultOf(kind: ChannelKind, field: string): unknown {
  const defaults: Readonly<Record<string, unknown>> = CHANNEL_DEFAULTS[kind];
  return defaults[field];
}
