// The alert vocabulary, declared once: the outbox's event types (CHECK in 0001), channel kinds and
// delivery statuses, for the dispatcher, the API schemas and the web client.

export const EVENT_TYPES = ["run.status_changed", "job.status_changed", "alert.raised", "alert.resolved"] as const;
export type EventType = (typeof EVENT_TYPES)[number];

// A test send is not an outbox event; receivers see it under its own type.
export const TEST_EVENT_TYPE = "alert.test" as const;
export type PayloadType = EventType | typeof TEST_EVENT_TYPE;

// What a rule alerts on: failed jobs in a row, or a job with records of one of these outcomes (CHECK in 0018).
export const RULE_CONDITIONS = ["job_failed", "verify_mismatch", "drifted"] as const;
export type RuleCondition = (typeof RULE_CONDITIONS)[number];

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
