import type { FanOutChannel, FanOutRoute, FanOutRule } from "./fan-out";
import type { EventPayload } from "./payload";

// Where an alert event goes, decided in one place for every condition (job fan-out, the minute tick, the
// breaker): the connection's route for the rule, else the rule's channel; nothing while the rule or the
// connection is muted. Incidents are tracked either way; only the notification is held back.

export interface AlertTargetInput {
  channels: readonly FanOutChannel[];
  rules: readonly FanOutRule[];
  routes: readonly FanOutRoute[];
  // Connection id → until when (ms) its alerts are muted.
  mutedConnections: ReadonlyMap<string, number>;
  now: number;
}

/** The channel a rule's alerts about this connection (or subject) go to: its route, else the rule's own. */
export function routedChannelId(routes: readonly FanOutRoute[], ruleId: string, connectionId: string | null, ruleChannelId: string): string {
  if (connectionId === null) return ruleChannelId;
  return routes.find((route) => route.ruleId === ruleId && route.connectionId === connectionId)?.channelId ?? ruleChannelId;
}

/** Until when (ms) this alert is muted by its rule or its connection, or null when it is sent. */
export function mutedUntil(input: AlertTargetInput, ruleId: string, connectionId: string | null): number | null {
  const byRule = input.rules.find((rule) => rule.id === ruleId)?.mutedUntil ?? null;
  const byConnection = connectionId === null ? null : (input.mutedConnections.get(connectionId) ?? null);
  const until = Math.max(byRule ?? 0, byConnection ?? 0);
  return until > input.now ? until : null;
}

/**
 * The channel this alert event is delivered to, or null. A muted resolve still reaches PagerDuty: an incident
 * opened there before the mute must close, and PagerDuty ignores a resolve for a key it never saw.
 */
export function alertTargetChannel(input: AlertTargetInput, payload: EventPayload): FanOutChannel | null {
  const alert = payload.alert;
  if (alert === null) return null;
  const channelId = routedChannelId(input.routes, alert.rule_id, payload.connection_id, alert.channel_id);
  const target = input.channels.find((c) => c.id === channelId) ?? null;
  if (target === null || mutedUntil(input, alert.rule_id, payload.connection_id) === null) return target;
  return payload.type === "alert.resolved" && target.channel.kind === "pagerduty" ? target : null;
}
