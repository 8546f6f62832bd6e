// The alert vocabulary, declared once: the outbox's event types (CHECK in 0001), channel kinds and
// delivery statuses, for the dispatcher, the API schemas and the web client.

export const EVENT_TYPES = ["run.status_changed", "job.status_changed", "alert.raised", "alert.resolved"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

// A test send is not an outbox event; receivers see it under its own type.
export const TEST_EVENT_TYPE = "alert.test" as const;
export type PayloadType = EventType | typeof TEST_EVENT_TYPE;

// What a rule alerts on (CHECK in 0019). Judged when a job finishes: failed jobs in a row, a job with records of
// one outcome, its record-failure rate, and the anomalies against the connection's recent runs. Judged by the
// minute tick: freshness (an expected success that did not arrive). Judged by the destination circuit breaker:
// a destination host down, and a connection paused after failing too many runs in a row.
export const RULE_CONDITIONS = [
  "job_failed",
  "verify_mismatch",
  "drifted",
  "record_failure_rate",
  "slow_run",
  "volume_change",
  "missing_spike",
  "freshness",
  "destination_down",
  "connection_paused",
] as const;
export type RuleCondition = (typeof RULE_CONDITIONS)[number];

// An incident's level; a rule with one level raises at its own severity (CHECK in 0019).
export const ALERT_SEVERITIES = ["warning", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
// What one notification says happened: the incident opened or moved to this level, or it resolved.
export const ALERT_STATES = ["warning", "critical", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

// The volume-change rule's counters.
export const VOLUME_METRICS = ["in_scope", "updated", "would_update"] as const;
export type VolumeMetric = (typeof VOLUME_METRICS)[number];

export const STATUS_CHANGE_TYPES = ["run.status_changed", "job.status_changed"] as const satisfies readonly EventType[];

export const CHANNEL_KINDS = ["webhook", "slack", "pagerduty", "email"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

export const DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const PAGERDUTY_SEVERITIES = ["critical", "error", "warning", "info"] as const;
export type PagerDutySeverity = (typeof PAGERDUTY_SEVERITIES)[number];

export const PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue";
// The sender name of an email channel that names none (the dashboard shows a blank field as this).
export const DEFAULT_EMAIL_FROM_NAME = "Outbound Sync";

// Who sent a channel's last test: the minute tick on the channel's test_schedule, or a person (Send test).
export const CHANNEL_TEST_TRIGGERS = ["scheduled", "manual"] as const;
export type ChannelTestTrigger = (typeof CHANNEL_TEST_TRIGGERS)[number];
