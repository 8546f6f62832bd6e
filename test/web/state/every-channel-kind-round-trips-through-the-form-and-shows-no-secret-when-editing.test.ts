import { describe, expect, it } from "vitest";
import type { ChannelKind } from "../../../worker/alerts/vocabulary";
import type { AlertChannel, CreateChannelBody } from "../../../worker/schemas/alerts";
import { CHANNEL_KIND_FORMS, type ChannelDraft } from "../../../web/src/state/alert-channel-kinds";
import { channelBody, channelChanges, channelDraftOf, emptyChannelDraft } from "../../../web/src/state/alerts.svelte";
import { makeChannel } from "../factories";

// Per kind: a filled-in form, the body it must send, and the config and secret hint the server answers with.
// `satisfies`: a kind the table gains without a sample here fails type checking.
interface Sample {
  draft: Partial<ChannelDraft>;
  body: CreateChannelBody;
  config: AlertChannel["config"];
  secretHint: string | null;
}

const SAMPLES = {
  webhook: {
    draft: { url: " https://hooks.example.com/a ", event_types: ["alert.raised"], scope: "chosen", connection_ids: ["conn_a"] },
    body: { kind: "webhook", name: "Hook", url: "https://hooks.example.com/a", event_types: ["alert.raised"], connection_ids: ["conn_a"] },
    config: { url: "https://hooks.example.com/a", event_types: ["alert.raised"], connection_ids: ["conn_a"] },
    secretHint: "••••3f9a",
  },
  slack: {
    draft: { webhook_url: " https://hooks.slack.com/services/T0/B0/secretpath " },
    body: { kind: "slack", name: "Hook", webhook_url: "https://hooks.slack.com/services/T0/B0/secretpath" },
    config: {},
    secretHint: "••••path",
  },
  pagerduty: {
    draft: { routing_key: "R0UTINGKEY", severity: "critical", events_url: "" },
    body: { kind: "pagerduty", name: "Hook", routing_key: "R0UTINGKEY", severity: "critical" },
    config: { events_url: "https://events.pagerduty.com/v2/enqueue", severity: "critical" },
    secretHint: "••••GKEY",
  },
  email: {
    draft: { to: "a@example.com; b@example.com", from: "alerts@example.com", from_name: "" },
    body: { kind: "email", name: "Hook", to: ["a@example.com", "b@example.com"], from: "alerts@example.com" },
    config: { to: ["a@example.com", "b@example.com"], from: "alerts@example.com", from_name: "Outbound Sync" },
    secretHint: null,
  },
} satisfies Record<ChannelKind, Sample>;

describe("every channel kind in the form's table", () => {
  for (const kind of Object.keys(CHANNEL_KIND_FORMS) as ChannelKind[]) {
    it(`sends a ${kind} form as its create body, and edits the saved channel with blank secrets and no changes`, () => {
      const sample: Sample = SAMPLES[kind];
      expect(channelBody({ ...emptyChannelDraft(), kind, name: " Hook ", ...sample.draft })).toEqual(sample.body);

      const saved = makeChannel({ kind, name: "Hook", config: sample.config, secret_hint: sample.secretHint });
      const edit = channelDraftOf(saved);
      expect(edit).toMatchObject({ kind, name: "Hook", webhook_url: "", routing_key: "" });
      expect(channelChanges(saved, edit, saved.enabled)).toEqual({});
    });
  }
});
