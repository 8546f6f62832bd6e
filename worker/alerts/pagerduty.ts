import { alertHint, dashboardLink, type EventPayload } from "./payload";
import { headline } from "./slack";
import type { PagerDutySeverity } from "./vocabulary";

// Events API v2 (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/): a trigger opens
// an incident under `dedup_key`, a resolve with the same key closes it.

export interface PagerDutyTrigger {
  routing_key: string;
  event_action: "trigger";
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: PagerDutySeverity;
    timestamp: string;
    component?: string;
    group?: string;
    class?: string;
    custom_details: Record<string, unknown>;
  };
  client: string;
  client_url?: string;
  links?: Array<{ href: string; text: string }>;
}

export interface PagerDutyResolve {
  routing_key: string;
  event_action: "resolve";
  dedup_key: string;
}

export type PagerDutyEvent = PagerDutyTrigger | PagerDutyResolve;

const SUMMARY_MAX = 1024;

export function pagerDutyDedupKey(ruleId: string, connectionId: string): string {
  return `outbound-sync/${ruleId}/${connectionId}`;
}

export function buildPagerDutyEvent(payload: EventPayload, routingKey: string, severity: PagerDutySeverity, publicUrl: string): PagerDutyEvent {
  const dedupKey = payload.alert?.dedup_key ?? `outbound-sync/${payload.type}/${payload.event_id}`;
  if (payload.type === "alert.resolved") return { routing_key: routingKey, event_action: "resolve", dedup_key: dedupKey };

  const summary = payload.error_summary === null ? headline(payload) : `${headline(payload)} — ${payload.error_summary}`;
  const link = dashboardLink(payload);
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: dedupKey,
    payload: {
      summary: clip(summary, SUMMARY_MAX),
      source: "outbound-sync",
      severity: severityOf(payload, severity),
      timestamp: payload.failed_at ?? payload.occurred_at,
      ...(payload.connection_name !== null ? { component: payload.connection_name } : {}),
      ...(payload.credential_name !== null ? { group: payload.credential_name } : {}),
      ...(payload.error !== null ? { class: payload.error.code } : {}),
      custom_details: {
        connection_name: payload.connection_name,
        job_id: payload.job_id,
        run_id: payload.run_id,
        status: payload.status,
        status_detail: payload.status_detail ?? null,
        failed_records: payload.failed_records ?? null,
        started_at: payload.started_at,
        failed_at: payload.failed_at,
        error_summary: payload.error_summary,
        hint: alertHint(payload),
        consecutive_failures: payload.alert?.consecutive_failures ?? null,
        ...(payload.alert?.condition === undefined || payload.alert.condition === "job_failed"
          ? {}
          : { condition: payload.alert.condition, records: payload.alert.records ?? null }),
        ...(payload.alert?.state === undefined ? {} : { state: payload.alert.state, severity: payload.alert.severity ?? null }),
        ...(payload.alert?.summary === undefined ? {} : { summary: payload.alert.summary }),
        counters: payload.counters,
      },
    },
    client: "Outbound Sync",
    client_url: publicUrl,
    ...(link !== null ? { links: [{ href: link.url, text: `${link.text} in Outbound Sync` }] } : {}),
  };
}

// A warning incident pages as a PagerDuty warning; a critical one at the channel's configured severity. A change of
// level is a new trigger under the same dedup key, which PagerDuty applies to the open incident.
function severityOf(payload: EventPayload, channelSeverity: PagerDutySeverity): PagerDutySeverity {
  if (payload.type === "alert.test") return "info";
  return payload.alert?.severity === "warning" ? "warning" : channelSeverity;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
