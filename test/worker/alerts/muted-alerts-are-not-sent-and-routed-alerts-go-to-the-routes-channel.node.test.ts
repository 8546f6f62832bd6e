import { describe, expect, it } from "vitest";
import { planFanOut, type FanOutChannel, type FanOutInput, type FanOutRoute, type FanOutRule, type OpenIncident } from "../../../worker/alerts/fan-out";
import { incidentTransition, type AlertLevel } from "../../../worker/alerts/incident-state";
import { buildAlertPayload } from "../../../worker/alerts/payload";
import type { AlertSeverity } from "../../../worker/alerts/vocabulary";
import { fanOutInput, jobEvent, makeEvent, makeJob, makeRule, pagerDutyChannel, slackChannel, webhookChannel } from "../factories/alert-payloads";

// A connection's job results go through the planner as the consumer runs it: each finished job's fan-out, then
// the fan-out of every alert event it wrote. What each job ends up delivering, per channel, is the history.
type Result = "failed" | "completed";
interface Setup {
  channels: FanOutChannel[];
  rules: FanOutRule[];
  routes?: FanOutRoute[];
  mutedConnections?: Map<string, number>;
  // Job index → the time it finishes at (default: one hour apart from NOW).
  at?: (index: number) => number;
}

const NOW = Date.UTC(2026, 11, 6, 9, 0, 0);
const HOUR = 3_600_000;

function replay(results: Result[], setup: Setup): string[][] {
  let open: OpenIncident[] = [];
  let streak = 0;
  return results.map((status, index) => {
    streak = status === "failed" ? streak + 1 : 0;
    const now = setup.at?.(index) ?? NOW + index * HOUR;
    const job = makeJob({ status });
    const shared: Omit<FanOutInput, "event"> = {
      ...fanOutInput({ event: jobEvent(job, status) }),
      jobs: [job],
      channels: setup.channels,
      rules: setup.rules,
      routes: setup.routes ?? [],
      mutedConnections: setup.mutedConnections ?? new Map(),
      consecutiveFailures: streak,
      openIncidents: open,
      now,
    };
    const plan = planFanOut({ ...shared, event: jobEvent(job, status) });
    for (const incident of plan.openIncidents) {
      const rule = setup.rules.find((r) => r.id === incident.ruleId)!;
      open.push({
        ...incident,
        channelId: rule.channelId,
        raisedAt: now,
        condition: rule.condition,
        failureThreshold: 1,
        notifyRecovery: rule.notifyRecovery,
        severity: rule.severity,
      });
    }
    open = open.filter((i) => !plan.resolveIncidents.some((r) => r.ruleId === i.ruleId && r.connectionId === i.connectionId));
    return plan.alertEvents.flatMap((alert) => {
      const event = makeEvent({ id: alert.id, type: alert.type, payloadJson: JSON.stringify(alert.payload), createdAt: now });
      return planFanOut({ ...shared, event }).deliveries.map((d) => `${alert.type === "alert.raised" ? "raised" : "resolved"} → ${d.channelId}`);
    });
  });
}

describe("muting", () => {
  it("a snoozed rule sends nothing until its mute ends, while its incident still opens and resolves", () => {
    const rule = makeRule({ mutedUntil: NOW + 90 * 60_000 });
    // Fails at 09:00 (muted: the incident opens silently), recovers at 10:00 (muted), fails again at 11:00 (sent).
    expect(replay(["failed", "completed", "failed", "completed"], { channels: [slackChannel()], rules: [rule] })).toEqual([
      [],
      [],
      ["raised → chan_slack"],
      ["resolved → chan_slack"],
    ]);
  });

  it("a warning rule's incident opened during a mute resolves aloud after it; the next failure is sent as Warning, once", () => {
    const rule = makeRule({ severity: "warning", channelId: "chan_hook" });
    const muted = new Map([["conn_sf", NOW + 30 * 60_000]]);
    const states: string[] = [];
    const history = replay(["failed", "completed", "failed", "failed", "completed"], { channels: [webhookChannel()], rules: [rule], mutedConnections: muted });
    expect(history).toEqual([[], ["resolved → chan_hook"], ["raised → chan_hook"], [], ["resolved → chan_hook"]]);
    const job = makeJob({ status: "failed" });
    const input = { ...fanOutInput({ event: jobEvent(job, "failed") }), jobs: [job], channels: [webhookChannel()], rules: [rule], consecutiveFailures: 1 };
    for (const alert of planFanOut(input).alertEvents) states.push(`${alert.payload.alert?.state}/${alert.payload.alert?.severity}`);
    expect(states).toEqual(["warning/warning"]);
  });

  it("a muted connection sends nothing about itself by any rule, and other connections are not muted by it", () => {
    const rules = [makeRule(), makeRule({ channelId: "chan_hook" })];
    const channels = [slackChannel(), webhookChannel()];
    expect(replay(["failed", "completed"], { channels, rules, mutedConnections: new Map([["conn_sf", NOW + 2 * HOUR]]) })).toEqual([[], []]);
    expect(replay(["failed"], { channels, rules, mutedConnections: new Map([["conn_other", NOW + 2 * HOUR]]) })).toEqual([
      ["raised → chan_slack", "raised → chan_hook"],
    ]);
  });

  it("a mute that has ended no longer holds anything back", () => {
    expect(replay(["failed"], { channels: [slackChannel()], rules: [makeRule({ mutedUntil: NOW - 1 })] })).toEqual([["raised → chan_slack"]]);
    expect(replay(["failed"], { channels: [slackChannel()], rules: [makeRule()], mutedConnections: new Map([["conn_sf", NOW]]) })).toEqual([
      ["raised → chan_slack"],
    ]);
  });

  it("still resolves PagerDuty while muted, so an incident paged before the mute closes there", () => {
    const rule = makeRule({ channelId: "chan_pd" });
    const mutedAfterFirst = new Map([["conn_sf", NOW + 3 * HOUR]]);
    // The page went out before the mute began (the first job's fan-out is replayed unmuted by finishing before it).
    const history = replay(["failed", "completed"], {
      channels: [pagerDutyChannel()],
      rules: [rule],
      mutedConnections: mutedAfterFirst,
      at: (i) => (i === 0 ? NOW + 4 * HOUR : NOW + HOUR),
    });
    expect(history).toEqual([["raised → chan_pd"], ["resolved → chan_pd"]]);
    const slack = replay(["failed", "completed"], {
      channels: [slackChannel()],
      rules: [makeRule()],
      mutedConnections: mutedAfterFirst,
      at: (i) => (i === 0 ? NOW + 4 * HOUR : NOW + HOUR),
    });
    expect(slack).toEqual([["raised → chan_slack"], []]);
  });
});

describe("routing", () => {
  it("sends a rule's alerts about a routed connection to the route's channel only, and every other connection's to the rule's", () => {
    const rule = makeRule({ channelId: "chan_slack" });
    const channels = [slackChannel(), pagerDutyChannel()];
    const routes = [{ connectionId: "conn_sf", ruleId: rule.id, channelId: "chan_pd" }];
    expect(replay(["failed", "completed"], { channels, rules: [rule], routes })).toEqual([["raised → chan_pd"], ["resolved → chan_pd"]]);
    expect(replay(["failed"], { channels, rules: [rule], routes: [{ ...routes[0]!, connectionId: "conn_other" }] })).toEqual([["raised → chan_slack"]]);
  });

  it("routes only the rule it names", () => {
    const routed = makeRule({ channelId: "chan_slack" });
    const other = makeRule({ channelId: "chan_slack" });
    const routes = [{ connectionId: "conn_sf", ruleId: routed.id, channelId: "chan_hook" }];
    expect(replay(["failed"], { channels: [slackChannel(), webhookChannel()], rules: [routed, other], routes })).toEqual([
      ["raised → chan_hook", "raised → chan_slack"],
    ]);
  });

  it("judges the recovery notice by the routed channel: a rule without recovery notices still resolves on a routed PagerDuty", () => {
    const rule = makeRule({ channelId: "chan_slack", notifyRecovery: false });
    const routes = [{ connectionId: "conn_sf", ruleId: rule.id, channelId: "chan_pd" }];
    expect(replay(["failed", "completed"], { channels: [slackChannel(), pagerDutyChannel()], rules: [rule], routes })).toEqual([
      ["raised → chan_pd"],
      ["resolved → chan_pd"],
    ]);
  });

  it("sends nothing when the route's channel is disabled, as for a rule's, and names the channel it went to in the payload", () => {
    const rule = makeRule({ channelId: "chan_slack" });
    const routes = [{ connectionId: "conn_sf", ruleId: rule.id, channelId: "chan_gone" }];
    expect(replay(["failed"], { channels: [slackChannel()], rules: [rule], routes })).toEqual([[]]);

    const job = makeJob();
    const input = {
      ...fanOutInput({ event: jobEvent(job, "failed") }),
      jobs: [job],
      channels: [slackChannel(), webhookChannel()],
      rules: [rule],
      consecutiveFailures: 1,
    };
    const raised = planFanOut(input).alertEvents[0]!;
    expect(raised.payload.alert?.channel_id).toBe("chan_slack");
    const event = makeEvent({ id: raised.id, type: "alert.raised", payloadJson: JSON.stringify(raised.payload) });
    const plan = planFanOut({ ...input, event, routes: [{ ...routes[0]!, channelId: "chan_hook" }] });
    expect(plan.deliveries).toEqual([{ channelId: "chan_hook" }]);
    expect(plan.payload.alert?.channel_id).toBe("chan_hook");
  });
});

describe("a condition judged outside a job (freshness), muted then not", () => {
  // Each minute-tick judgement moves the incident through incidentTransition (one notification per change, as
  // planOutsideTransition does); its alert event goes through the fan-out like any other, where mute and routing apply.
  function tick(levels: Array<[AlertLevel, number]>, setup: Omit<Setup, "at">): string[][] {
    let open: { severity: AlertSeverity } | null = null;
    const rule = setup.rules[0]!;
    return levels.map(([level, now]) => {
      const transition = incidentTransition(open, level);
      if (transition.kind === "none") return [];
      const state = transition.kind === "resolve" ? "resolved" : transition.kind === "open" ? transition.severity : transition.to;
      const severity: AlertSeverity = state === "resolved" ? open!.severity : state;
      open = state === "resolved" ? null : { severity };
      const type = state === "resolved" ? "alert.resolved" : "alert.raised";
      const payload = buildAlertPayload({
        type,
        eventId: `evt_${now}`,
        occurredAt: now,
        connection: { id: "conn_sf", name: "Salesforce → Snowflake", credential_name: null },
        alert: {
          rule_id: rule.id,
          channel_id: rule.channelId,
          dedup_key: "k",
          condition: rule.condition,
          failure_threshold: 1,
          consecutive_failures: 0,
          severity,
          state,
          summary: `freshness ${level}`,
        },
        publicUrl: "https://sync.example.com",
      });
      const event = makeEvent({ id: payload.event_id, type, payloadJson: JSON.stringify(payload), createdAt: now });
      const plan = planFanOut({
        ...fanOutInput({ event }),
        channels: setup.channels,
        rules: setup.rules,
        routes: setup.routes ?? [],
        mutedConnections: setup.mutedConnections ?? new Map(),
        now,
      });
      return plan.deliveries.map((d) => `${plan.payload.alert?.state} → ${d.channelId}`);
    });
  }

  it("sends warning → critical → resolved, one each, and nothing while snoozed; the escalation after the snooze is sent", () => {
    const rule = makeRule({ condition: "freshness", mutedUntil: NOW + 90 * 60_000 });
    const history = tick(
      [
        ["ok", NOW],
        ["warning", NOW + HOUR],
        ["warning", NOW + HOUR + 60_000],
        ["critical", NOW + 2 * HOUR],
        ["critical", NOW + 2 * HOUR + 60_000],
        ["ok", NOW + 3 * HOUR],
        ["ok", NOW + 3 * HOUR + 60_000],
      ],
      { channels: [slackChannel()], rules: [rule] },
    );
    expect(history).toEqual([[], [], [], ["critical → chan_slack"], [], ["resolved → chan_slack"], []]);
    const unmuted = tick(
      [
        ["warning", NOW],
        ["critical", NOW + HOUR],
        ["ok", NOW + 2 * HOUR],
      ],
      { channels: [slackChannel()], rules: [makeRule({ condition: "freshness" })] },
    );
    expect(unmuted).toEqual([["warning → chan_slack"], ["critical → chan_slack"], ["resolved → chan_slack"]]);
  });

  it("routes every state of the connection's incident to the route's channel", () => {
    const rule = makeRule({ condition: "freshness" });
    const routes = [{ connectionId: "conn_sf", ruleId: rule.id, channelId: "chan_hook" }];
    const history = tick(
      [
        ["warning", NOW],
        ["critical", NOW + HOUR],
        ["ok", NOW + 2 * HOUR],
      ],
      { channels: [slackChannel(), webhookChannel()], rules: [rule], routes },
    );
    expect(history).toEqual([["warning → chan_hook"], ["critical → chan_hook"], ["resolved → chan_hook"]]);
  });
});
