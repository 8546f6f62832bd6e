import { api, asApiError, type ApiError, type DeliveryFilters, type TestSendResult, type UpdateRuleBody } from "../lib/api";
import { PagedList } from "../lib/paged-list.svelte";
import { Resource } from "../lib/resource.svelte";
import { assertNever } from "../../../shared/lang";
import { SaveState } from "./save-state.svelte";
import type { AlertChannel, AlertDelivery, AlertRule, CreateChannelBody, UpdateChannelBody } from "../../../worker/schemas/alerts";
import type { AlertSeverity, ChannelKind, RuleCondition } from "../../../worker/alerts/vocabulary";
import { snoozeValue, type SnoozeChoice } from "../lib/alert-mute";
import { CHANNEL_DEFAULTS, channelFormFields, defaultOf, type ChannelDraft, type ConnectionScope, type FieldForm } from "./alert-channel-kinds";
import type { ConnectionSummary } from "../../../worker/schemas/types";
import { emptyParamsDraft, paramsDraftOf, paramsOfDraft, sameParams, type RuleParamsDraft } from "../lib/rule-params-draft";
import { serverNow } from "../lib/server-clock";

export function emptyChannelDraft(): ChannelDraft {
  return {
    kind: "webhook",
    name: "",
    url: "",
    event_types: [],
    scope: "all",
    connection_ids: [],
    webhook_url: "",
    routing_key: "",
    events_url: "",
    severity: CHANNEL_DEFAULTS.pagerduty.severity,
    to: "",
    from: "",
    from_name: "",
    test_schedule: "",
  };
}

function recipients(text: string): string[] {
  return text.split(/[\s,;]+/).filter((address) => address !== "");
}

function sameItems(a: readonly string[], b: readonly string[]): boolean {
  const sortedB = [...b].sort();
  return a.length === b.length && [...a].sort().every((item, index) => item === sortedB[index]);
}

// null: every connection.
function scopeIds(draft: { scope: ConnectionScope; connection_ids: readonly string[] }): string[] | null {
  return draft.scope === "all" ? null : [...draft.connection_ids];
}

function sameScope(a: readonly string[] | null, b: readonly string[] | null): boolean {
  return a === null || b === null ? a === b : sameItems(a, b);
}

function textDefault(kind: ChannelKind, field: string): string | undefined {
  const value = defaultOf(kind, field);
  return typeof value === "string" ? value : undefined;
}

// The kind's fields come from the channel-kind table, each converted by its control; a blank text field with a
// default is left out, so the server applies the default.
export function channelBody(draft: ChannelDraft): CreateChannelBody {
  const body: Record<string, unknown> = { kind: draft.kind, name: draft.name.trim() };
  const testSchedule = draft.test_schedule.trim();
  if (testSchedule !== "") body.test_schedule = testSchedule;
  for (const field of channelFormFields(draft.kind)) {
    const value = createValue(draft, field);
    if (value !== undefined) body[field.name] = value;
  }
  // The table's fields of a kind are the registry's, which are the create body's (both checked by the type checker).
  return body as CreateChannelBody;
}

function createValue(draft: ChannelDraft, field: FieldForm): unknown {
  switch (field.control) {
    case "text": {
      const text = draft[field.name].trim();
      return text === "" && textDefault(draft.kind, field.name) !== undefined ? undefined : text;
    }
    case "secret":
      return draft[field.name].trim();
    case "recipients":
      return recipients(draft[field.name]);
    case "event-types":
      return draft.event_types.length === 0 ? null : draft.event_types;
    case "connection-scope":
      return scopeIds(draft);
    case "severity":
      return draft.severity;
    default:
      return assertNever(field);
  }
}

// A saved channel in the form: its settings as they are, its secrets blank because they are write-only.
export function channelDraftOf(channel: AlertChannel): ChannelDraft {
  const draft: ChannelDraft = { ...emptyChannelDraft(), kind: channel.kind, name: channel.name, test_schedule: channel.test_schedule ?? "" };
  const config: Readonly<Record<string, unknown>> = channel.config;
  for (const field of channelFormFields(channel.kind)) {
    switch (field.control) {
      case "text":
        draft[field.name] = (config[field.name] as string | undefined) ?? textDefault(channel.kind, field.name) ?? "";
        break;
      case "secret":
        break;
      case "recipients":
        draft[field.name] = ((config[field.name] as string[] | undefined) ?? []).join(", ");
        break;
      case "event-types":
        draft.event_types = [...(channel.config.event_types ?? [])];
        break;
      case "connection-scope":
        draft.scope = channel.config.connection_ids == null ? "all" : "chosen";
        draft.connection_ids = [...(channel.config.connection_ids ?? [])];
        break;
      case "severity":
        draft.severity = channel.config.severity ?? CHANNEL_DEFAULTS.pagerduty.severity;
        break;
      default:
        assertNever(field);
    }
  }
  return draft;
}

// Only what the admin changed, so a PATCH never rewrites a field edited elsewhere meanwhile; a blank secret keeps the stored one.
export function channelChanges(channel: AlertChannel, draft: ChannelDraft, enabled: boolean): UpdateChannelBody {
  const before = channelDraftOf(channel);
  const changes: Record<string, unknown> = {};
  const name = draft.name.trim();
  if (name !== before.name) changes.name = name;
  if (enabled !== channel.enabled) changes.enabled = enabled;
  const testSchedule = draft.test_schedule.trim();
  if (testSchedule !== before.test_schedule) changes.test_schedule = testSchedule === "" ? null : testSchedule;
  for (const field of channelFormFields(channel.kind)) {
    const value = changedValue(channel, before, draft, field);
    if (value !== undefined) changes[field.name] = value;
  }
  return changes as UpdateChannelBody;
}

// undefined: unchanged.
function changedValue(channel: AlertChannel, before: ChannelDraft, draft: ChannelDraft, field: FieldForm): unknown {
  switch (field.control) {
    case "text": {
      // A blank field with a default means the default, which the server would not apply to a PATCH.
      const text = draft[field.name].trim() || (textDefault(channel.kind, field.name) ?? "");
      return text !== before[field.name] ? text : undefined;
    }
    case "secret": {
      const secret = draft[field.name].trim();
      return secret !== "" ? secret : undefined;
    }
    case "recipients": {
      const list = recipients(draft[field.name]);
      return list.join(",") !== recipients(before[field.name]).join(",") ? list : undefined;
    }
    case "event-types": {
      const everyEvent = draft.event_types.length === 0;
      const changed = everyEvent !== (channel.config.event_types == null) || !sameItems(draft.event_types, before.event_types);
      return changed ? (everyEvent ? null : [...draft.event_types]) : undefined;
    }
    case "connection-scope": {
      const connectionIds = scopeIds(draft);
      return sameScope(connectionIds, channel.config.connection_ids ?? null) ? undefined : connectionIds;
    }
    case "severity":
      return draft.severity !== before.severity ? draft.severity : undefined;
    default:
      return assertNever(field);
  }
}

export interface ChannelEdit {
  // The channel as it was when editing began: changes are measured against it.
  channel: AlertChannel;
  draft: ChannelDraft;
  enabled: boolean;
  save: SaveState;
}

export interface ShownSecret {
  channelId: string;
  channelName: string;
  secret: string;
}

export interface RuleDraft {
  channel_id: string;
  scope: ConnectionScope;
  connection_ids: string[];
  condition: RuleCondition;
  failure_threshold: string;
  notify_recovery: boolean;
  params: RuleParamsDraft;
  severity: AlertSeverity;
  // The snooze picked in the form; `snooze_until` is the datetime-local text of "until a time".
  snooze: SnoozeChoice;
  snooze_until: string;
}

function emptyRuleDraft(): RuleDraft {
  return {
    channel_id: "",
    scope: "all",
    connection_ids: [],
    condition: "job_failed",
    failure_threshold: "1",
    notify_recovery: true,
    params: emptyParamsDraft(),
    severity: "critical",
    snooze: "keep",
    snooze_until: "",
  };
}

export function ruleDraftOf(rule: AlertRule): RuleDraft {
  return {
    channel_id: rule.channel_id,
    scope: rule.connection_ids === null ? "all" : "chosen",
    connection_ids: [...(rule.connection_ids ?? [])],
    condition: rule.condition,
    failure_threshold: String(rule.failure_threshold),
    notify_recovery: rule.notify_recovery,
    params: paramsDraftOf(rule.params),
    severity: rule.severity,
    snooze: "keep",
    snooze_until: "",
  };
}

// A blank or non-numeric threshold goes out as NaN (JSON null), so the server's message lands at the field.
function thresholdOf(draft: RuleDraft): number {
  return draft.failure_threshold.trim() === "" ? Number.NaN : Number(draft.failure_threshold);
}

// A rule's channel is fixed; everything else is sent only when it changed.
export function ruleChanges(rule: AlertRule, draft: RuleDraft, enabled: boolean, now: number = serverNow()): UpdateRuleBody {
  const changes: UpdateRuleBody = {};
  const connectionIds = scopeIds(draft);
  if (!sameScope(connectionIds, rule.connection_ids)) changes.connection_ids = connectionIds;
  if (draft.condition !== rule.condition) changes.condition = draft.condition;
  const threshold = thresholdOf(draft);
  if (threshold !== rule.failure_threshold) changes.failure_threshold = threshold;
  if (draft.notify_recovery !== rule.notify_recovery) changes.notify_recovery = draft.notify_recovery;
  if (enabled !== rule.enabled) changes.enabled = enabled;
  const params = paramsOfDraft(draft.condition, draft.params);
  // On a change of condition the server keeps only the old parameters the new one reads; send what differs from those.
  if (!sameParams(draft.condition, params, rule.params)) changes.params = params;
  if (draft.severity !== rule.severity) changes.severity = draft.severity;
  const mutedUntil = snoozeValue(draft.snooze, draft.snooze_until, now);
  if (mutedUntil !== undefined) changes.muted_until = mutedUntil;
  return changes;
}

export interface RuleEdit {
  rule: AlertRule;
  draft: RuleDraft;
  enabled: boolean;
  save: SaveState;
}

// The Alerts page: channels, rules, the delivery log, and the commands on each.
export class AlertsState {
  channels = new Resource<AlertChannel[]>((signal) => api.listChannels(signal));
  rules = new Resource<AlertRule[]>((signal) => api.listRules(signal));
  connections = new Resource<ConnectionSummary[]>((signal) => api.listConnections(signal));
  filters: DeliveryFilters = $state({});
  deliveries = new PagedList<AlertDelivery>((cursor, signal) => api.listDeliveries(this.filters, { cursor, limit: 25, signal }));

  channelDraft: ChannelDraft = $state(emptyChannelDraft());
  channelSave = new SaveState();
  secret: ShownSecret | null = $state(null);
  ruleDraft: RuleDraft = $state(emptyRuleDraft());
  ruleSave = new SaveState();
  // At most one channel and one rule are edited at a time, each in place of its row.
  channelEdit: ChannelEdit | null = $state(null);
  ruleEdit: RuleEdit | null = $state(null);

  // Per-row command state, keyed by channel, rule or delivery id.
  busy: Record<string, string> = $state({});
  errors: Record<string, ApiError> = $state({});
  testResults: Record<string, TestSendResult> = $state({});
  notes: Record<string, string> = $state({});

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
    delete this.notes[id];
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
    this.channels.confirm(data);
  }

  #putRule(rule: AlertRule): void {
    if (this.rules.state.kind !== "ready") return;
    const data = this.rules.state.data.map((entry) => (entry.id === rule.id ? rule : entry));
    this.rules.confirm(data);
  }

  createChannel(): Promise<boolean> {
    return this.channelSave.run(async () => {
      const created = await api.createChannel(channelBody(this.channelDraft));
      const { secret, ...channel } = created;
      if (secret) this.secret = { channelId: channel.id, channelName: channel.name, secret };
      this.channelDraft = emptyChannelDraft();
      await this.channels.reload();
      if (this.ruleDraft.channel_id === "") this.ruleDraft.channel_id = channel.id;
      return `Created the channel "${channel.name}".`;
    });
  }

  async testSend(channel: AlertChannel): Promise<void> {
    const result = await this.#row(channel.id, "testing", () => api.testChannel(channel.id));
    if (result) this.testResults[channel.id] = result;
    void this.channels.reload();
  }

  async rotate(channel: AlertChannel, graceHours: number): Promise<void> {
    const rotated = await this.#row(channel.id, "rotating", () => api.rotateSecret(channel.id, graceHours));
    if (!rotated) return;
    const { secret, ...summary } = rotated;
    this.#putChannel(summary);
    this.secret = { channelId: summary.id, channelName: summary.name, secret };
  }

  async setEnabled(channel: AlertChannel, enabled: boolean): Promise<void> {
    const updated = await this.#row(channel.id, enabled ? "enabling" : "disabling", () => api.updateChannel(channel.id, { enabled }));
    if (updated) this.#putChannel(updated);
  }

  editChannel(channel: AlertChannel): void {
    delete this.notes[channel.id];
    delete this.errors[channel.id];
    this.channelEdit = { channel, draft: channelDraftOf(channel), enabled: channel.enabled, save: new SaveState() };
  }

  cancelChannelEdit(): void {
    this.channelEdit = null;
  }

  async saveChannelEdit(): Promise<boolean> {
    const edit = this.channelEdit;
    if (!edit) return false;
    const saved = await edit.save.run(async () => {
      const changes = channelChanges(edit.channel, edit.draft, edit.enabled);
      if (Object.keys(changes).length === 0) return "Nothing changed.";
      const updated = await api.updateChannel(edit.channel.id, changes);
      this.#putChannel(updated);
      // The rules table shows each rule's channel by name.
      if (changes.name !== undefined) void this.rules.reload();
      return `Saved the channel "${updated.name}".`;
    });
    if (saved && this.channelEdit === edit) {
      this.notes[edit.channel.id] = edit.save.saved ?? "";
      this.channelEdit = null;
    }
    return saved;
  }

  async deleteChannel(channel: AlertChannel): Promise<void> {
    const done = await this.#row(channel.id, "deleting", async () => {
      await api.deleteChannel(channel.id);
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
      const rule = await api.createRule({
        channel_id: draft.channel_id,
        connection_ids: scopeIds(draft),
        condition: draft.condition,
        failure_threshold: thresholdOf(draft),
        notify_recovery: draft.notify_recovery,
        params: paramsOfDraft(draft.condition, draft.params),
        severity: draft.severity,
        muted_until: snoozeValue(draft.snooze, draft.snooze_until, serverNow()) ?? null,
      });
      this.ruleDraft = { ...emptyRuleDraft(), channel_id: draft.channel_id };
      await this.rules.reload();
      return `Created a rule for "${rule.channel_name}".`;
    });
  }

  async setRuleEnabled(rule: AlertRule, enabled: boolean): Promise<void> {
    const updated = await this.#row(rule.id, "saving", () => api.updateRule(rule.id, { enabled }));
    if (updated) this.#putRule(updated);
  }

  async unmuteRule(rule: AlertRule): Promise<void> {
    const updated = await this.#row(rule.id, "unmuting", () => api.updateRule(rule.id, { muted_until: null }));
    if (updated) this.#putRule(updated);
  }

  editRule(rule: AlertRule): void {
    delete this.notes[rule.id];
    delete this.errors[rule.id];
    this.ruleEdit = { rule, draft: ruleDraftOf(rule), enabled: rule.enabled, save: new SaveState() };
  }

  cancelRuleEdit(): void {
    this.ruleEdit = null;
  }

  async saveRuleEdit(): Promise<boolean> {
    const edit = this.ruleEdit;
    if (!edit) return false;
    const saved = await edit.save.run(async () => {
      const changes = ruleChanges(edit.rule, edit.draft, edit.enabled);
      if (Object.keys(changes).length === 0) return "Nothing changed.";
      this.#putRule(await api.updateRule(edit.rule.id, changes));
      return "Saved the rule.";
    });
    if (saved && this.ruleEdit === edit) {
      this.notes[edit.rule.id] = edit.save.saved ?? "";
      this.ruleEdit = null;
    }
    return saved;
  }

  async deleteRule(rule: AlertRule): Promise<void> {
    const done = await this.#row(rule.id, "deleting", async () => {
      await api.deleteRule(rule.id);
      return true;
    });
    if (done) void this.rules.reload();
  }

  async redeliver(delivery: AlertDelivery): Promise<void> {
    const queued = await this.#row(delivery.id, "redelivering", () => api.redeliver(delivery.id));
    if (queued) this.deliveries.items = this.deliveries.items.map((entry) => (entry.id === queued.id ? queued : entry));
  }
}
