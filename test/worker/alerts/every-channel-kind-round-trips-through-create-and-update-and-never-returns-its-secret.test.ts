import { describe, expect, it } from "vitest";
import {
  CHANNEL_KIND_REGISTRY,
  generatesSecret,
  secretFieldOf,
  type ChannelField,
  type ChannelKindEntry,
  type StoredChannelConfigs,
} from "../../../worker/alerts/channel-kinds";
import type { ChannelKind } from "../../../worker/alerts/vocabulary";
import type { AlertChannel, CreateChannelBody, UpdateChannelBody } from "../../../worker/schemas/alerts";
import type { Page } from "../../../worker/schemas/types";
import { call } from "../api/config-api";
import { makeConnection, makeCredential } from "../factories";
import { RECEIVER, unique } from "./support";

type CreateBody<K extends ChannelKind> = Omit<Extract<CreateChannelBody, { kind: K }>, "name">;

// Per kind: what it is created with, a change of every one of its fields, and the config each leaves.
// `satisfies` makes a kind added to the registry without a sample here, or a field the change leaves out,
// fail type checking.
interface Sample<K extends ChannelKind> {
  create: (connectionId: string) => CreateBody<K>;
  created: (connectionId: string) => StoredChannelConfigs[K];
  update: (connectionId: string) => Required<Pick<UpdateChannelBody, ChannelField<K> & keyof UpdateChannelBody>>;
  updated: (connectionId: string) => StoredChannelConfigs[K];
}

const SAMPLES = {
  webhook: {
    create: () => ({ kind: "webhook", url: `${RECEIVER}/hook-one` }),
    created: () => ({ url: `${RECEIVER}/hook-one`, event_types: null, connection_ids: null }),
    update: (connectionId) => ({ url: `${RECEIVER}/hook-two`, event_types: ["alert.raised"], connection_ids: [connectionId] }),
    updated: (connectionId) => ({ url: `${RECEIVER}/hook-two`, event_types: ["alert.raised"], connection_ids: [connectionId] }),
  },
  slack: {
    create: () => ({ kind: "slack", webhook_url: `${RECEIVER}/T0001/B0002/SlackSecretPathOne` }),
    created: () => ({}),
    update: () => ({ webhook_url: `${RECEIVER}/T0001/B0002/SlackSecretPathTwo` }),
    updated: () => ({}),
  },
  pagerduty: {
    create: () => ({ kind: "pagerduty", routing_key: "R0UTE-KEY-one-0123456789abcdef" }),
    created: () => ({ events_url: "https://events.pagerduty.com/v2/enqueue", severity: "error" }),
    update: () => ({ routing_key: "R0UTE-KEY-two-fedcba9876543210", events_url: `${RECEIVER}/pd`, severity: "critical" }),
    updated: () => ({ events_url: `${RECEIVER}/pd`, severity: "critical" }),
  },
  email: {
    create: () => ({ kind: "email", to: ["oncall@example.com"], from: "alerts@example.com" }),
    created: () => ({ from: "alerts@example.com", from_name: "Outbound Sync", to: ["oncall@example.com"] }),
    update: () => ({ to: ["a@example.com", "b@example.com"], from: "ops@example.com", from_name: "Ops" }),
    updated: () => ({ from: "ops@example.com", from_name: "Ops", to: ["a@example.com", "b@example.com"] }),
  },
} satisfies { [K in ChannelKind]: Sample<K> };

// The registry's fields of a kind are exactly its create body's own fields: one cannot grow without the other.
type BodyFields<K extends ChannelKind> = Exclude<keyof Extract<CreateChannelBody, { kind: K }>, "kind" | "name" | "enabled" | "test_schedule">;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
({ webhook: true, slack: true, pagerduty: true, email: true }) satisfies { [K in ChannelKind]: Same<BodyFields<K>, ChannelField<K>> };

// A registry without an entry for every kind does not type check.
// @ts-expect-error email has no entry
({ webhook: CHANNEL_KIND_REGISTRY.webhook, slack: CHANNEL_KIND_REGISTRY.slack, pagerduty: CHANNEL_KIND_REGISTRY.pagerduty }) satisfies Record<
  ChannelKind,
  ChannelKindEntry
>;

describe("every channel kind in the registry", () => {
  for (const kind of Object.keys(CHANNEL_KIND_REGISTRY) as ChannelKind[]) {
    it(`round-trips a ${kind} channel through create and update, and never returns its secret after creating`, async () => {
      const connection = await makeConnection(await makeCredential());
      const sample: Sample<ChannelKind> = SAMPLES[kind];
      const secretField = secretFieldOf(kind);
      const createBody: Record<string, unknown> = { name: unique(`Round trip ${kind}`), ...sample.create(connection.id) };
      const updateBody: Record<string, unknown> = sample.update(connection.id);

      const created = await call<AlertChannel & { secret?: string }>("POST", "/api/alerts/channels", { body: createBody });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ kind, enabled: true, config: sample.created(connection.id) });
      const secrets: string[] = [];
      if (generatesSecret(kind)) {
        expect(created.body.secret).toMatch(/^whsec_/);
        secrets.push(created.body.secret!.slice("whsec_".length));
      } else {
        expect(created.body).not.toHaveProperty("secret");
      }
      if (secretField !== null) {
        secrets.push(String(createBody[secretField]), String(updateBody[secretField]));
        expect(created.body.secret_hint).toBe(`••••${String(createBody[secretField]).slice(-4)}`);
      }
      const id = created.body.id;

      const read = await call<AlertChannel>("GET", `/api/alerts/channels/${id}`, { as: "viewer" });
      expect(read.body.config).toEqual(sample.created(connection.id));

      const updated = await call<AlertChannel>("PATCH", `/api/alerts/channels/${id}`, { body: updateBody });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      expect(updated.body.config).toEqual(sample.updated(connection.id));
      expect(updated.body.secret_hint).toBe(secretField === null ? created.body.secret_hint : `••••${String(updateBody[secretField]).slice(-4)}`);

      const reread = await call<AlertChannel>("GET", `/api/alerts/channels/${id}`, { as: "viewer" });
      expect(reread.body.config).toEqual(sample.updated(connection.id));
      const list = await call<Page<AlertChannel>>("GET", "/api/alerts/channels?limit=500", { as: "viewer" });
      expect(list.body.data.find((channel) => channel.id === id)?.config).toEqual(sample.updated(connection.id));

      for (const body of [read.body, updated.body, reread.body, list.body]) {
        expect(body).not.toHaveProperty("secret");
        for (const secret of secrets) expect(JSON.stringify(body)).not.toContain(secret);
      }
    });
  }
});
