import { channelAccepts, channelCovers, type ChannelConfig } from "./channel-config";
import { alertTargetChannel, routedChannelId } from "./alert-target";
import { pagerDutyDedupKey } from "./pagerduty";
import { incidentTransition, type AlertLevel } from "./incident-state";
import { jobAlertDetails, jobLevel, needsHistory, type JobConditionFacts, type JobHistory } from "./job-conditions";
import {
  buildStatusPayload,
  readReportedFacts,
  withAlert,
  type AlertDetails,
  type EventPayload,
  type JobFacts,
  type ReportedFacts,
  type RunFacts,
} from "./payload";
import { assertNever } from "../../shared/lang";
import type { AlertSeverity, AlertState, EventType, RuleCondition } from "./vocabulary";
import type { RuleParams } from "../schemas/alerts";

// Decides, from plain data, what one outbox event turns into: a delivery per matching channel, alert
// incidents opened or resolved, and the alert events that follow. The caller commits the plan in one
// D1 batch together with marking the event dispatched, so a crash cannot half-apply it.

export interface OutboxEvent {
  id: string;
  seq: number;
  type: EventType;
  runId: string | null;
  jobId: string | null;
  connectionId: string | null;
  payloadJson: string;
  createdAt: number;
}

export interface FanOutChannel {
  id: string;
  channel: ChannelConfig;
  createdAt: number;
}

export interface FanOutRule {
  id: string;
  channelId: string;
  connectionIds: readonly string[] | null;
  condition: RuleCondition;
  failureThreshold: number;
  notifyRecovery: boolean;
  severity: AlertSeverity;
  params: RuleParams;
  // ms; until then the rule's alerts are not sent (its incidents still open and resolve).
  mutedUntil: number | null;
}

export interface OpenIncident {
  ruleId: string;
  connectionId: string;
  channelId: string;
  dedupKey: string;
  raisedAt: number;
  condition: RuleCondition;
  failureThreshold: number;
  notifyRecovery: boolean;
  severity: AlertSeverity;
}

// A connection's routing override: this rule's alerts about it go to this channel instead of the rule's.
export interface FanOutRoute {
  connectionId: string;
  ruleId: string;
  channelId: string;
}

export interface FanOutInput {
  event: OutboxEvent;
  run: RunFacts | null;
  jobs: readonly JobFacts[];
  // Enabled channels and enabled rules of enabled channels.
  channels: readonly FanOutChannel[];
  rules: readonly FanOutRule[];
  routes: readonly FanOutRoute[];
  // Connection id → until when (ms) its alerts are muted (only connections muted now).
  mutedConnections: ReadonlyMap<string, number>;
  // Failed jobs in a row for the event's connection, ending with the event's job (job failures only).
  consecutiveFailures: number;
  // The connection's earlier finished jobs, newest first, when a watching rule needs them.
  history?: readonly JobHistory[];
  openIncidents: readonly OpenIncident[];
  publicUrl: string;
  now: number;
  newEventId: () => string;
}

export interface PlannedAlertEvent {
  id: string;
  type: "alert.raised" | "alert.resolved";
  payload: EventPayload;
}

export interface FanOutPlan {
  payload: EventPayload;
  deliveries: Array<{ channelId: string }>;
  openIncidents: Array<{ ruleId: string; connectionId: string; dedupKey: string; severity: AlertSeverity }>;
  // Open incidents that move to another level.
  changeIncidents: Array<{ ruleId: string; connectionId: string; raisedAt: number; severity: AlertSeverity }>;
  resolveIncidents: Array<{ ruleId: string; connectionId: string; raisedAt: number }>;
  alertEvents: PlannedAlertEvent[];
}

export function planFanOut(input: FanOutInput): FanOutPlan {
  const { event } = input;
  if (event.type === "alert.raised" || event.type === "alert.resolved") return planAlertEvent(input);

  const payload = buildStatusPayload({
    change: {
      ...readStatusChange(event, input),
      eventId: event.id,
      type: event.type,
      occurredAt: event.createdAt,
      runId: event.runId,
      jobId: event.jobId,
      connectionId: event.connectionId,
    },
    run: input.run,
    jobs: input.jobs,
    publicUrl: input.publicUrl,
  });
  const plan: FanOutPlan = { payload, deliveries: [], openIncidents: [], changeIncidents: [], resolveIncidents: [], alertEvents: [] };
  // A run's change touches every connection it runs; a job's, its own.
  const touched = event.type === "job.status_changed" ? [payload.connection_id ?? event.connectionId ?? ""] : input.jobs.map((job) => job.connection_id);
  for (const { id, channel, createdAt } of input.channels) {
    // A channel hears about what happened after it was created, not a backlog from before.
    if (createdAt <= event.createdAt && channelAccepts(channel, event.type) && channelCovers(channel, touched)) plan.deliveries.push({ channelId: id });
  }

  const connectionId = payload.connection_id;
  if (event.type !== "job.status_changed" || connectionId === null) return plan;
  if (payload.status !== "failed" && payload.status !== "completed") return plan;
  const job = input.jobs.find((j) => j.id === event.jobId) ?? null;
  planRuleTransitions(input, plan, connectionId, job);
  return plan;
}

// Every rule that watches the connection judges the job; each open incident moves to the level its rule
// gives, one notification per change. An incident whose rule is disabled or deleted is judged with the
// fields it was raised under, so a recovery still resolves it.
function planRuleTransitions(input: FanOutInput, plan: FanOutPlan, connectionId: string, job: JobFacts | null): void {
  const facts: JobConditionFacts = {
    status: plan.payload.status,
    job,
    consecutiveFailures: input.consecutiveFailures,
    history: input.history ?? [],
    runType: input.run?.type ?? null,
  };
  const open = new Map(input.openIncidents.filter((i) => i.connectionId === connectionId).map((i) => [i.ruleId, i]));
  const judged = new Set<string>();
  for (const rule of input.rules) {
    if (rule.connectionIds !== null && !rule.connectionIds.includes(connectionId)) continue;
    judged.add(rule.id);
    planTransition(input, plan, connectionId, rule, open.get(rule.id) ?? null, facts);
  }
  for (const incident of open.values()) {
    if (judged.has(incident.ruleId)) continue;
    const rule: FanOutRule = {
      id: incident.ruleId,
      channelId: incident.channelId,
      connectionIds: null,
      condition: incident.condition,
      failureThreshold: incident.failureThreshold,
      notifyRecovery: incident.notifyRecovery,
      severity: incident.severity,
      params: {},
      mutedUntil: null,
    };
    if (jobLevel(rule, facts) === "ok") planTransition(input, plan, connectionId, rule, incident, facts);
    // An anomaly rule's thresholds went with it and nothing watches any more: the next completed job ends the incident.
    else if (facts.status === "completed" && needsHistory(rule)) {
      planTransition(input, plan, connectionId, rule, incident, facts, { level: "ok", summary: ORPHAN_RESOLVED_SUMMARY });
    }
  }
}

export const ORPHAN_RESOLVED_SUMMARY = "the rule no longer watches this connection (disabled, deleted or rescoped): resolved on its next completed job";

function planTransition(
  input: FanOutInput,
  plan: FanOutPlan,
  connectionId: string,
  rule: FanOutRule,
  open: OpenIncident | null,
  facts: JobConditionFacts,
  // The level to move to and what the alert says, when it is not the rule's judgement of the job.
  forced?: { level: AlertLevel; summary: string },
): void {
  const transition = incidentTransition(open, forced?.level ?? jobLevel(rule, facts));
  const details = (dedupKey: string, state: AlertState): AlertDetails => ({
    rule_id: rule.id,
    channel_id: rule.channelId,
    dedup_key: dedupKey,
    condition: rule.condition,
    failure_threshold: rule.failureThreshold,
    consecutive_failures: rule.condition === "job_failed" && state !== "resolved" ? input.consecutiveFailures : 0,
    ...jobAlertDetails(rule, facts),
    ...(forced === undefined ? {} : { summary: forced.summary }),
    severity: state === "resolved" ? (open?.severity ?? rule.severity) : state,
    state,
  });
  switch (transition.kind) {
    case "none":
      return;
    case "open": {
      const dedupKey = pagerDutyDedupKey(rule.id, connectionId);
      plan.openIncidents.push({ ruleId: rule.id, connectionId, dedupKey, severity: transition.severity });
      const id = input.newEventId();
      plan.alertEvents.push({
        id,
        type: "alert.raised",
        payload: withAlert(plan.payload, "alert.raised", id, input.now, details(dedupKey, transition.severity)),
      });
      return;
    }
    case "change": {
      const incident = open!;
      plan.changeIncidents.push({ ruleId: rule.id, connectionId, raisedAt: incident.raisedAt, severity: transition.to });
      const id = input.newEventId();
      plan.alertEvents.push({
        id,
        type: "alert.raised",
        payload: withAlert(plan.payload, "alert.raised", id, input.now, details(incident.dedupKey, transition.to)),
      });
      return;
    }
    case "resolve": {
      const incident = open!;
      plan.resolveIncidents.push({ ruleId: rule.id, connectionId, raisedAt: incident.raisedAt });
      const kind = new Map(input.channels.map((c) => [c.id, c.channel.kind])).get(routedChannelId(input.routes, rule.id, connectionId, incident.channelId));
      // PagerDuty always gets its resolve, or the incident would stay open there forever.
      if (kind === undefined || (!incident.notifyRecovery && kind !== "pagerduty")) return;
      const id = input.newEventId();
      plan.alertEvents.push({
        id,
        type: "alert.resolved",
        payload: withAlert(plan.payload, "alert.resolved", id, input.now, details(incident.dedupKey, "resolved")),
      });
      return;
    }
    default:
      return assertNever(transition);
  }
}

// Alert events carry their finished payload; they go to one channel (the connection's route, else the rule's),
// or to none while muted. The stored payload names the channel it went to.
function planAlertEvent(input: FanOutInput): FanOutPlan {
  const stored = JSON.parse(input.event.payloadJson) as EventPayload;
  const target = alertTargetChannel(input, stored);
  const payload = target === null || stored.alert === null ? stored : { ...stored, alert: { ...stored.alert, channel_id: target.id } };
  const deliveries = target !== null && channelAccepts(target.channel, input.event.type) ? [{ channelId: target.id }] : [];
  return { payload, deliveries, openIncidents: [], changeIncidents: [], resolveIncidents: [], alertEvents: [] };
}

// The status-change writer's payload names the new and previous status; the row fills in when it does not.
function readStatusChange(event: OutboxEvent, input: FanOutInput): { status: string; previousStatus: string | null; reported: ReportedFacts } {
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(event.payloadJson);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
  } catch (err) {
    // An unreadable payload still becomes a delivery, built from the rows alone.
    if (!(err instanceof SyntaxError)) throw err;
  }
  const text = (...keys: string[]) => {
    for (const key of keys) {
      const value = data[key];
      if (typeof value === "string" && value !== "") return value;
    }
    return null;
  };
  const row = event.type === "job.status_changed" ? input.jobs.find((j) => j.id === event.jobId) : input.run;
  return {
    status: text("status", "to", "new_status") ?? row?.status ?? "unknown",
    previousStatus: text("previous_status", "from", "old_status"),
    reported: readReportedFacts(data),
  };
}
