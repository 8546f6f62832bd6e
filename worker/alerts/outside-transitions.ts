import type { FanOutRule, OpenIncident } from "./fan-out";
import { incidentTransition, type AlertLevel } from "./incident-state";
import { pagerDutyDedupKey } from "./pagerduty";
import { buildAlertPayload, type AlertDetails } from "./payload";
import type { AlertTransitionItem } from "../ledger/alert-transitions";
import type { ChannelKind } from "./vocabulary";

// The one way a condition judged outside a job's fan-out (freshness, a destination, auto-pause) turns a
// level into an incident change and its notification, with the same rules as the fan-out: one notification
// per change of state, and a resolve sent when the rule asks for recoveries (PagerDuty always).

export interface OutsideJudgement {
  rule: FanOutRule;
  // A connection id, or `host:<hostname>`.
  subject: string;
  open: OpenIncident | null;
  level: AlertLevel | null;
  // The kind of the rule's channel; undefined when the channel is disabled or gone.
  channelKind: ChannelKind | undefined;
  connection: { id: string; name: string; credential_name: string | null } | null;
  summary: string;
  hint?: string | null;
  runId?: string | null;
  jobId?: string | null;
  now: number;
  publicUrl: string;
  newEventId: () => string;
}

export function planOutsideTransition(judgement: OutsideJudgement): AlertTransitionItem | null {
  const { rule, open, now } = judgement;
  const transition = incidentTransition(open, judgement.level);
  if (transition.kind === "none") return null;
  const dedupKey = open?.dedupKey ?? pagerDutyDedupKey(rule.id, judgement.subject);
  const state = transition.kind === "resolve" ? "resolved" : transition.kind === "open" ? transition.severity : transition.to;
  const alert: AlertDetails = {
    rule_id: rule.id,
    channel_id: rule.channelId,
    dedup_key: dedupKey,
    condition: rule.condition,
    failure_threshold: rule.failureThreshold,
    consecutive_failures: 0,
    records: null,
    severity: state === "resolved" ? (open?.severity ?? rule.severity) : state,
    state,
    summary: judgement.summary,
    hint: judgement.hint ?? null,
  };
  const type = transition.kind === "resolve" ? "alert.resolved" : "alert.raised";
  const silentResolve =
    transition.kind === "resolve" && (judgement.channelKind === undefined || (!rule.notifyRecovery && judgement.channelKind !== "pagerduty"));
  const id = judgement.newEventId();
  return {
    ruleId: rule.id,
    subject: judgement.subject,
    dedupKey,
    transition,
    raisedAt: open?.raisedAt ?? null,
    event: silentResolve
      ? null
      : {
          id,
          type,
          payload: buildAlertPayload({
            type,
            eventId: id,
            occurredAt: now,
            connection: judgement.connection,
            alert,
            runId: judgement.runId,
            jobId: judgement.jobId,
            publicUrl: judgement.publicUrl,
          }),
        },
  };
}
