import type { AlertChannel, AlertDelivery, AlertRule, DeliveryAttempt } from "../../../worker/schemas/alerts";

let sequence = 0;

export function makeChannel(overrides: Partial<AlertChannel> = {}): AlertChannel {
  sequence += 1;
  return {
    id: `chan_${sequence}`,
    name: `Channel ${sequence}`,
    kind: "webhook",
    enabled: true,
    disabled_reason: null,
    disabled_at: null,
    config: { url: "https://hooks.example.com/outbound-sync", event_types: null, connection_ids: null },
    secret_hint: "••••3f9a",
    secret_rotation_ends_at: null,
    health: { last_success_at: null, last_failure_at: null, failing_since: null },
    test_schedule: null,
    next_test_at: null,
    last_test: null,
    created_at: "2026-11-20T10:00:00.000Z",
    updated_at: "2026-11-20T10:00:00.000Z",
    ...overrides,
  };
}

export function makeAlertRule(channel: AlertChannel, overrides: Partial<AlertRule> = {}): AlertRule {
  sequence += 1;
  return {
    id: `rule_${sequence}`,
    channel_id: channel.id,
    channel_name: channel.name,
    channel_kind: channel.kind,
    connection_ids: null,
    condition: "job_failed",
    failure_threshold: 2,
    notify_recovery: true,
    enabled: true,
    severity: "critical",
    params: {},
    muted_until: null,
    open_incidents: 0,
    created_at: "2026-11-20T10:00:00.000Z",
    updated_at: "2026-11-20T10:00:00.000Z",
    ...overrides,
  };
}

export function makeAttempt(overrides: Partial<DeliveryAttempt> = {}): DeliveryAttempt {
  return {
    attempt: 1,
    attempted_at: "2026-11-21T08:00:00.000Z",
    status_code: 500,
    duration_ms: 120,
    response_excerpt: null,
    error: null,
    ...overrides,
  };
}

export function makeDelivery(channel: AlertChannel, overrides: Partial<AlertDelivery> = {}): AlertDelivery {
  sequence += 1;
  return {
    id: `dlv_${sequence}`,
    webhook_id: `msg_${sequence}`,
    event_id: `evt_${sequence}`,
    event_type: "job.status_changed",
    channel_id: channel.id,
    channel_name: channel.name,
    channel_kind: channel.kind,
    run_id: "run_1",
    connection_id: "conn_demo_json",
    status: "failed",
    attempt_count: 1,
    next_attempt_at: null,
    last_status_code: 500,
    last_error: null,
    redeliveries: 0,
    delivered_at: null,
    created_at: "2026-11-21T08:00:00.000Z",
    updated_at: "2026-11-21T08:00:00.000Z",
    attempts: [makeAttempt()],
    ...overrides,
  };
}
