import type { FanOutChannel, FanOutInput, FanOutRule, OpenIncident, OutboxEvent } from "../../../worker/alerts/fan-out";
import type { EventPayload, JobFacts, RunFacts } from "../../../worker/alerts/payload";
import { buildStatusPayload } from "../../../worker/alerts/payload";
import type { ChannelConfig } from "../../../worker/alerts/channel-config";
import { PAGERDUTY_EVENTS_URL } from "../../../worker/alerts/vocabulary";

const T0 = Date.UTC(2026, 3, 6, 8, 0, 1);
let counter = 0;
const next = (prefix: string) => `${prefix}_${String(++counter).padStart(6, "0")}`;

export function makeJob(overrides: Partial<JobFacts> = {}): JobFacts {
  return {
    id: next("job"),
    run_id: "run_01",
    connection_id: "conn_sf",
    connection_name: "Salesforce → Snowflake",
    status: "failed",
    mode: "live",
    in_scope: 14,
    processed: 14,
    would_update: 0,
    updated: 12,
    skipped_rule: 1,
    skipped_no_change: 0,
    missing_source: 0,
    missing_destination: 0,
    failed: 1,
    drifted: 0,
    verified: 0,
    verify_mismatch: 0,
    bytes_sent: 3_200,
    bytes_received: 9_000,
    error_code: "unauthorized",
    error_http_status: 401,
    error_message: "Stream Account: 401 Unauthorized — token expired",
    error_hint: "Refresh the credential's token.",
    started_at: T0,
    finished_at: T0 + 196_000,
    duration_ms: 196_000,
    ...overrides,
  };
}

export function makeRun(overrides: Partial<RunFacts> = {}): RunFacts {
  return {
    id: "run_01",
    credential_name: "Fleet API",
    type: "full",
    mode: "live",
    trigger: "schedule",
    status: "failed",
    connection_count: 2,
    connections_succeeded: 1,
    connections_failed: 1,
    started_at: T0,
    finished_at: T0 + 200_000,
    ...overrides,
  };
}

export function makeEvent(overrides: Partial<OutboxEvent> = {}): OutboxEvent {
  return {
    id: next("evt"),
    seq: counter,
    type: "job.status_changed",
    runId: "run_01",
    jobId: null,
    connectionId: "conn_sf",
    payloadJson: JSON.stringify({ status: "failed", previous_status: "running" }),
    createdAt: T0 + 196_000,
    ...overrides,
  };
}

export function jobEvent(job: JobFacts, status: string, previous = "running"): OutboxEvent {
  return makeEvent({ jobId: job.id, runId: job.run_id, connectionId: job.connection_id, payloadJson: JSON.stringify({ status, previous_status: previous }) });
}

export function makePayload(overrides: Partial<EventPayload> = {}): EventPayload {
  const job = makeJob();
  return {
    ...buildStatusPayload({
      change: {
        eventId: "evt_01",
        type: "job.status_changed",
        occurredAt: T0 + 196_000,
        status: "failed",
        previousStatus: "running",
        runId: job.run_id,
        jobId: job.id,
        connectionId: job.connection_id,
      },
      run: makeRun(),
      jobs: [job],
      publicUrl: "https://sync.example.com",
    }),
    ...overrides,
  };
}

export function webhookChannel(id = "chan_hook", config: Partial<Extract<ChannelConfig, { kind: "webhook" }>["config"]> = {}): FanOutChannel {
  return { id, createdAt: 0, channel: { kind: "webhook", config: { url: "https://hooks.example.com/x", event_types: null, connection_ids: null, ...config } } };
}

export function slackChannel(id = "chan_slack"): FanOutChannel {
  return { id, createdAt: 0, channel: { kind: "slack", config: {} } };
}

export function pagerDutyChannel(id = "chan_pd"): FanOutChannel {
  return { id, createdAt: 0, channel: { kind: "pagerduty", config: { events_url: PAGERDUTY_EVENTS_URL, severity: "error" } } };
}

export function makeRule(overrides: Partial<FanOutRule> = {}): FanOutRule {
  return {
    id: next("rule"),
    channelId: "chan_slack",
    connectionIds: null,
    condition: "job_failed",
    failureThreshold: 1,
    notifyRecovery: true,
    severity: "critical",
    params: {},
    mutedUntil: null,
    ...overrides,
  };
}

export function fanOutInput(overrides: Partial<FanOutInput> & Pick<FanOutInput, "event">): FanOutInput {
  return {
    run: makeRun(),
    jobs: [],
    channels: [],
    rules: [],
    routes: [],
    mutedConnections: new Map(),
    consecutiveFailures: 0,
    openIncidents: [] as OpenIncident[],
    publicUrl: "https://sync.example.com",
    now: T0 + 200_000,
    newEventId: () => next("evt"),
    ...overrides,
  };
}
