import { describe, expect, it } from "vitest";
import { channelBody, channelChanges, channelDraftOf, emptyChannelDraft, ruleChanges, ruleDraftOf } from "../../../web/src/state/alerts.svelte";
import { makeAlertRule, makeChannel } from "../factories";
import { ANOMALY_DEFAULTS, RULE_PARAMS } from "../../../web/src/lib/rule-params-draft";
import { ANOMALY_DEFAULTS as WORKER_DEFAULTS } from "../../../worker/alerts/anomaly-rules";
import { RULE_PARAMS as WORKER_RULE_PARAMS } from "../../../worker/alerts/rule-params";

describe("channel changes", () => {
  it("are empty for an untouched draft of every kind", () => {
    const channels = [
      makeChannel({ config: { url: "https://hooks.example.com/a", event_types: ["alert.raised", "alert.resolved"] } }),
      makeChannel({ kind: "slack", config: {} }),
      makeChannel({ kind: "pagerduty", config: { events_url: "https://events.pagerduty.com/v2/enqueue", severity: "critical" } }),
      makeChannel({ kind: "email", config: { to: ["a@example.com", "b@example.com"], from: "alerts@example.com", from_name: "Outbound Sync" } }),
    ];
    for (const channel of channels) {
      expect(channelChanges(channel, channelDraftOf(channel), channel.enabled)).toEqual({});
    }
  });

  it("treat webhook events as a set, and no event ticked as every event", () => {
    const channel = makeChannel({ config: { url: "https://hooks.example.com/a", event_types: ["alert.raised", "alert.resolved"] } });
    const draft = channelDraftOf(channel);

    expect(channelChanges(channel, { ...draft, event_types: ["alert.resolved", "alert.raised"] }, true)).toEqual({});
    expect(channelChanges(channel, { ...draft, event_types: [] }, true)).toEqual({ event_types: null });
    expect(channelChanges(channel, { ...draft, event_types: ["job.status_changed"] }, true)).toEqual({ event_types: ["job.status_changed"] });
  });

  it("treat a webhook's chosen connections as a set and all connections as null, on create and on edit", () => {
    const draft = { ...emptyChannelDraft(), name: "Hook", url: "https://hooks.example.com/a" };
    expect(channelBody(draft)).toMatchObject({ kind: "webhook", connection_ids: null });
    expect(channelBody({ ...draft, scope: "chosen", connection_ids: ["conn_a"] })).toMatchObject({ connection_ids: ["conn_a"] });

    const channel = makeChannel({ config: { url: "https://hooks.example.com/a", event_types: null, connection_ids: ["conn_a", "conn_b"] } });
    const edit = channelDraftOf(channel);
    expect(edit).toMatchObject({ scope: "chosen", connection_ids: ["conn_a", "conn_b"] });
    expect(channelChanges(channel, { ...edit, connection_ids: ["conn_b", "conn_a"] }, true)).toEqual({});
    expect(channelChanges(channel, { ...edit, scope: "all" }, true)).toEqual({ connection_ids: null });
    expect(channelChanges(channel, { ...edit, connection_ids: ["conn_b"] }, true)).toEqual({ connection_ids: ["conn_b"] });
  });

  it("send a test schedule only when one is typed, and clear it with null when emptied", () => {
    const draft = { ...emptyChannelDraft(), name: "Hook", url: "https://hooks.example.com/a" };
    expect(channelBody(draft)).not.toHaveProperty("test_schedule");
    expect(channelBody({ ...draft, test_schedule: " 0 9 * * 1 " })).toMatchObject({ test_schedule: "0 9 * * 1" });

    const channel = makeChannel({ test_schedule: "0 9 * * 1" });
    const edit = channelDraftOf(channel);
    expect(edit.test_schedule).toBe("0 9 * * 1");
    expect(channelChanges(channel, { ...edit, test_schedule: "0 9 * * 1 " }, true)).toEqual({});
    expect(channelChanges(channel, { ...edit, test_schedule: "*/30 * * * *" }, true)).toEqual({ test_schedule: "*/30 * * * *" });
    expect(channelChanges(channel, { ...edit, test_schedule: "" }, true)).toEqual({ test_schedule: null });
  });

  it("compare email recipients as the list they parse to, and read a blank sender name as the default one", () => {
    const channel = makeChannel({ kind: "email", config: { to: ["a@example.com"], from: "alerts@example.com", from_name: "Ops" } });
    const draft = channelDraftOf(channel);

    expect(channelChanges(channel, { ...draft, to: " a@example.com ;" }, true)).toEqual({});
    expect(channelChanges(channel, { ...draft, to: "a@example.com\nb@example.com" }, true)).toEqual({ to: ["a@example.com", "b@example.com"] });
    expect(channelChanges(channel, { ...draft, from_name: "  " }, true)).toEqual({ from_name: "Outbound Sync" });
  });

  it("send a PagerDuty Events API URL only when set, a blank one meaning PagerDuty's own", () => {
    const draft = { ...emptyChannelDraft(), kind: "pagerduty" as const, name: "On-call", routing_key: "R0UTING" };
    expect(channelBody(draft)).not.toHaveProperty("events_url");
    expect(channelBody({ ...draft, events_url: " https://events.eu.pagerduty.com/v2/enqueue " })).toMatchObject({
      events_url: "https://events.eu.pagerduty.com/v2/enqueue",
    });

    const channel = makeChannel({ kind: "pagerduty", config: { events_url: "https://events.eu.pagerduty.com/v2/enqueue", severity: "error" } });
    const edit = channelDraftOf(channel);
    expect(edit.events_url).toBe("https://events.eu.pagerduty.com/v2/enqueue");
    expect(channelChanges(channel, { ...edit, events_url: "" }, true)).toEqual({ events_url: "https://events.pagerduty.com/v2/enqueue" });
  });

  it("carry enabled only when it flipped", () => {
    const channel = makeChannel({ enabled: false });
    expect(channelChanges(channel, channelDraftOf(channel), true)).toEqual({ enabled: true });
  });
});

describe("rule changes", () => {
  const channel = makeChannel();

  it("treat chosen connections as a set and all connections as null", () => {
    const rule = makeAlertRule(channel, { connection_ids: ["conn_a", "conn_b"] });
    const draft = ruleDraftOf(rule);

    expect(ruleChanges(rule, { ...draft, connection_ids: ["conn_b", "conn_a"] }, true)).toEqual({});
    expect(ruleChanges(rule, { ...draft, scope: "all" }, true)).toEqual({ connection_ids: null });
    expect(ruleChanges(rule, { ...draft, connection_ids: ["conn_a"] }, true)).toEqual({ connection_ids: ["conn_a"] });
  });

  it("send a threshold the server must judge when it is not a number", () => {
    const rule = makeAlertRule(channel, { failure_threshold: 2 });
    const draft = ruleDraftOf(rule);

    expect(ruleChanges(rule, { ...draft, failure_threshold: " 2 " }, true)).toEqual({});
    expect(ruleChanges(rule, { ...draft, failure_threshold: "5" }, true)).toEqual({ failure_threshold: 5 });
    expect(ruleChanges(rule, { ...draft, failure_threshold: "" }, true).failure_threshold).toBeNaN();
  });

  it("know the parameters of each condition and their defaults as the worker does", () => {
    expect(RULE_PARAMS).toEqual(WORKER_RULE_PARAMS);
    expect(ANOMALY_DEFAULTS).toEqual(WORKER_DEFAULTS);
  });

  it("carry only the parameters the condition reads, a blank one meaning its default", () => {
    const rule = makeAlertRule(channel, { condition: "slow_run", params: { factor: 3 } });
    const draft = ruleDraftOf(rule);
    expect(ruleChanges(rule, draft, true)).toEqual({});
    expect(ruleChanges(rule, { ...draft, params: { ...draft.params, window: "10", percent: "50" } }, true)).toEqual({});
    expect(ruleChanges(rule, { ...draft, params: { ...draft.params, factor: "2" } }, true)).toEqual({ params: { factor: 2 } });
    expect(ruleChanges(rule, { ...draft, params: { ...draft.params, window: "many" } }, true).params?.window).toBeNaN();
    expect(ruleChanges(rule, { ...draft, condition: "missing_spike" }, true)).toEqual({ condition: "missing_spike" });
    expect(ruleChanges(rule, { ...draft, condition: "volume_change", params: { ...draft.params, metric: "updated" } }, true)).toEqual({
      condition: "volume_change",
      params: { metric: "updated" },
    });
  });

  it("carry recovery and enabled only when they flipped", () => {
    const rule = makeAlertRule(channel, { notify_recovery: true, enabled: true });
    expect(ruleChanges(rule, { ...ruleDraftOf(rule), notify_recovery: false }, false)).toEqual({ notify_recovery: false, enabled: false });
  });

  it("carry severity only when it changed, and a snooze as the time it ends", () => {
    const now = Date.UTC(2026, 11, 6, 9, 0, 0);
    const rule = makeAlertRule(channel, { severity: "critical", muted_until: null });
    const draft = ruleDraftOf(rule);

    expect(ruleChanges(rule, { ...draft, severity: "warning" }, true, now)).toEqual({ severity: "warning" });
    expect(ruleChanges(rule, { ...draft, snooze: "1d" }, true, now)).toEqual({ muted_until: "2026-12-07T09:00:00.000Z" });
    expect(ruleChanges(rule, { ...draft, snooze: "until", snooze_until: "2026-12-08T10:30" }, true, now)).toEqual({
      muted_until: new Date(2026, 11, 8, 10, 30).toISOString(),
    });
    // A blank time goes out as typed, so the server names the field.
    expect(ruleChanges(rule, { ...draft, snooze: "until", snooze_until: "" }, true, now)).toEqual({ muted_until: "" });

    const snoozed = makeAlertRule(channel, { muted_until: "2026-12-07T09:00:00.000Z" });
    expect(ruleChanges(snoozed, ruleDraftOf(snoozed), true, now)).toEqual({});
    expect(ruleChanges(snoozed, { ...ruleDraftOf(snoozed), snooze: "unmute" }, true, now)).toEqual({ muted_until: null });
  });
});
