import { asApiError, type ApiError } from "../lib/api";
import { configApi, type DeliveryFilters, type TestSendResult } from "../lib/config-api";
import { PagedList } from "../lib/paged-list.svelte";
import { Resource } from "../lib/resource.svelte";
import { SaveState } from "./save-state.svelte";
import type { AlertChannel, AlertDelivery, AlertRule, CreateChannelBody } from "../../../worker/api/alert-schemas";
import type { ChannelKind, EventType, PagerDutySeverity } from "../../../worker/alerts/vocabulary";
import type { ConnectionSummary } from "../../../worker/api/types";

export interface ChannelDraft {
  kind: ChannelKind;
  name: string;
  url: string;
  // Empty: every status change and alert.
  event_types: EventType[];
  webhook_url: string;
  routing_key: string;
  severity: PagerDutySeverity;
  to: string;
  from: string;
  from_name: string;
}

export function emptyChannelDraft(): ChannelDraft {
  return {
    kind: "webhook",
    name: "",
    url: "",
    event_types: [],
    webhook_url: "",
    routing_key: "",
    severity: "error",
    to: "",
    from: "",
    from_name: "",
  };
}

export function channelBody(draft: ChannelDraft): CreateChannelBody {
  const name = draft.name.trim();
  switch (draft.kind) {
    case "webhook":
      return { kind: "webhook", name, url: draft.url.trim(), event_types: draft.event_types.length === 0 ? null : draft.event_types };
    case "slack":
      return { kind: "slack", name, webhook_url: draft.webhook_url.trim() };
    case "pagerduty":
      return { kind: "pagerduty", name, routing_key: draft.routing_key.trim(), severity: draft.severity };
    case "email": {
      const fromName = draft.from_name.trim();
      return {
        kind: "email",
        name,
        to: draft.to.split(/[\s,;]+/).filter((address) => address !== ""),
        from: draft.from.trim(),
        ...(fromName === "" ? {} : { from_name: fromName }),
      };
    }
  }
}

export interface ShownSecret {
  channelId: string;
  channelName: string;
  secret: string;
}

export interface RuleDraft {
  channel_id: string;
  scope: "all" | "chosen";
  connection_ids: string[];
  failure_threshold: string;
  notify_recovery: boolean;
}

function emptyRuleDraft(): RuleDraft {
  return { channel_id: "", scope: "all", connection_ids: [], failure_threshold: "1", notify_recovery: true };
}

// The Alerts page: channels, rules, the delivery log, and the commands on each.
export class AlertsState {
  channels = new Resource<AlertChannel[]>((signal) => configApi.listChannels(signal));
  rules = new Resource<AlertRule[]>((signal) => configApi.listRules(signal));
  connections = new Resource<ConnectionSummary[]>((signal) => configApi.listConnections(signal));
  filters: DeliveryFilters = $state({});
  deliveries = new PagedList<AlertDelivery>((cursor, signal) =>
    configApi.listDeliveries(this.filters, { cursor, limit: 25, signal }),
  );

  channelDraft: ChannelDraft = $state(emptyChannelDraft());
  channelSave = new SaveState();
  secret: ShownSecret | null = $state(null);
  ruleDraft: RuleDraft = $state(emptyRuleDraft());
  ruleSave = new SaveState();

  // Per-row command state, keyed by channel, rule or delivery id.
  busy: Record<string, string> = $state({});
  errors: Record<string, ApiError> = $state({});
  testResults: Record<string, TestSendResult> = $state({});

  load(): void {
    void this.channels.reload();
    void this.rules.reload();
    void this.connections.reload();
    void this.deliveries.reload();
  }

  setFilters(filters: DeliveryFilters): void {
    this.filters = filters;
    void this.deliveries.reload();
  }

  async #row<T>(id: string, what: string, work: () => Promise<T>): Promise<T | null> {
    if (this.busy[id]) return null;
    this.busy[id] = what;
    delete this.errors[id];
    try {
      return await work();
    } catch (error) {
      this.errors[id] = asApiError(error);
      return null;
    } finally {
      delete this.busy[id];
    }
  }

  #putChannel(channel: AlertChannel): void {
    if (this.channels.state.kind !== "ready") return;
    const data = this.channels.state.data.map((entry) => (entry.id === channel.id ? channel : entry));
    this.channels.state = { kind: "ready", data, refreshing: false };
  }

  createChannel(): Promise<boolean> {
    return this.channelSave.run(async () => {
      const created = await configApi.createChannel(channelBody(this.channelDraft));
      const { secret, ...channel } = created;
      if (secret) this.secret = { channelId: channel.id, channelName: channel.name, secret };
      this.channelDraft = emptyChannelDraft();
      await this.channels.reload();
      if (this.ruleDraft.channel_id === "") this.ruleDraft.channel_id = channel.id;
      return `Created the channel "${channel.name}".`;
    });
  }

  async testSend(channel: AlertChannel): Promise<void> {
    const result = await this.#row(channel.id, "testing", () => configApi.testChannel(channel.id));
    if (result) this.testResults[channel.id] = result;
    void this.channels.reload();
  }

  async rotate(channel: AlertChannel, graceHours: number): Promise<void> {
    const rotated = await this.#row(channel.id, "rotating", () => configApi.rotateSecret(channel.id, graceHours));
    if (!rotated) return;
    const { secret, ...summary } = rotated;
    this.#putChannel(summary);
    this.secret = { channelId: summary.id, channelName: summary.name, secret };
  }

  async setEnabled(channel: AlertChannel, enabled: boolean): Promise<void> {
    const updated = await this.#row(channel.id, enabled ? "enabling" : "disabling", () => configApi.updateChannel(channel.id, { enabled }));
    if (updated) this.#putChannel(updated);
  }

  async deleteChannel(channel: AlertChannel): Promise<void> {
    const done = await this.#row(channel.id, "deleting", async () => {
      await configApi.deleteChannel(channel.id);
      return true;
    });
    if (done) {
      void this.channels.reload();
      void this.rules.reload();
    }
  }

  createRule(): Promise<boolean> {
    return this.ruleSave.run(async () => {
      const draft = this.ruleDraft;
      const threshold = draft.failure_threshold.trim() === "" ? Number.NaN : Number(draft.failure_threshold);
      const rule = await configApi.createRule({
        channel_id: draft.channel_id,
        connection_ids: draft.scope === "all" ? null : draft.connection_ids,
        failure_threshold: threshold,
        notify_recovery: draft.notify_recovery,
      });
      this.ruleDraft = { ...emptyRuleDraft(), channel_id: draft.channel_id };
      await this.rules.reload();
      return `Created a rule for "${rule.channel_name}".`;
    });
  }

  async setRuleEnabled(rule: AlertRule, enabled: boolean): Promise<void> {
    const updated = await this.#row(rule.id, "saving", () => configApi.updateRule(rule.id, { enabled }));
    if (updated && this.rules.state.kind === "ready") {
      const data = this.rules.state.data.map((entry) => (entry.id === updated.id ? updated : entry));
      this.rules.state = { kind: "ready", data, refreshing: false };
    }
  }

  async deleteRule(rule: AlertRule): Promise<void> {
    const done = await this.#row(rule.id, "deleting", async () => {
      await configApi.deleteRule(rule.id);
      return true;
    });
    if (done) void this.rules.reload();
  }

  async redeliver(delivery: AlertDelivery): Promise<void> {
    const queued = await this.#row(delivery.id, "redelivering", () => configApi.redeliver(delivery.id));
    if (queued) this.deliveries.items = this.deliveries.items.map((entry) => (entry.id === queued.id ? queued : entry));
  }
}
