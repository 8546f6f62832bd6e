import { describe, expect, it } from "vitest";
import { buildAlertPayload, buildStatusPayload, type EventPayload } from "../../../worker/alerts/payload";
import { buildSlackMessage } from "../../../worker/alerts/slack";
import { buildAlertEmail } from "../../../worker/alerts/email-content";
import { buildPagerDutyEvent } from "../../../worker/alerts/pagerduty";
import { makeJob, makeRun } from "../factories/alert-payloads";

const T0 = Date.UTC(2026, 3, 6, 8, 0, 1);
const PUBLIC_URL = "https://sync.example.com/";

// What each channel links: Slack's button, the email's line and PagerDuty's link.
function links(payload: EventPayload): { slack: unknown; email: string | undefined; pagerDuty: unknown } {
  const slack = buildSlackMessage(payload).blocks.find((block) => block.type === "actions");
  const email = buildAlertEmail(payload)
    .text.split("\n")
    .find((line) => line.includes(": https://"));
  const pagerDuty = buildPagerDutyEvent(payload, "routing-key-0123456789abcdef0123", "critical", PUBLIC_URL);
  return {
    slack: slack?.type === "actions" ? slack.elements.map((button) => [button.text.text, button.url]) : null,
    email,
    pagerDuty: "links" in pagerDuty ? pagerDuty.links : null,
  };
}

// An alert about a whole destination host (the circuit breaker's): no run, no job, no connection.
function hostAlert(): EventPayload {
  return buildAlertPayload({
    type: "alert.raised",
    eventId: "evt_host",
    occurredAt: T0,
    connection: null,
    alert: { rule_id: "rule_1", channel_id: "chan_1", dedup_key: "outbound-sync/rule_1/host", failure_threshold: 1, consecutive_failures: 0 },
    publicUrl: PUBLIC_URL,
  });
}

describe("alert messages link", () => {
  it("a job's event to the job's page", () => {
    const job = makeJob({ id: "job_01" });
    const payload = buildStatusPayload({
      change: {
        eventId: "evt_1",
        type: "job.status_changed",
        occurredAt: T0,
        status: "failed",
        previousStatus: "running",
        runId: "run_01",
        jobId: job.id,
        connectionId: job.connection_id,
      },
      run: makeRun(),
      jobs: [job],
      publicUrl: PUBLIC_URL,
    });
    expect(payload.connection_url).toBe("https://sync.example.com/connections/conn_sf");
    expect(links(payload)).toEqual({
      slack: [["View job", "https://sync.example.com/jobs/job_01"]],
      email: "View job: https://sync.example.com/jobs/job_01",
      pagerDuty: [{ href: "https://sync.example.com/jobs/job_01", text: "View job in Outbound Sync" }],
    });
  });

  it("a run's event to the run, which the dashboard opens at /jobs?run=<id>", () => {
    const payload = buildStatusPayload({
      change: {
        eventId: "evt_2",
        type: "run.status_changed",
        occurredAt: T0,
        status: "failed",
        previousStatus: "running",
        runId: "run_01",
        jobId: null,
        connectionId: null,
      },
      run: makeRun(),
      jobs: [makeJob()],
      publicUrl: PUBLIC_URL,
    });
    expect(payload.connection_url).toBeNull();
    expect(links(payload)).toEqual({
      slack: [["View run", "https://sync.example.com/jobs?run=run_01"]],
      email: "View run: https://sync.example.com/jobs?run=run_01",
      pagerDuty: [{ href: "https://sync.example.com/jobs?run=run_01", text: "View run in Outbound Sync" }],
    });
  });

  it("an alert about a connection with no run behind it (freshness, a pause) to the connection's page", () => {
    const payload = buildAlertPayload({
      type: "alert.raised",
      eventId: "evt_3",
      occurredAt: T0,
      connection: { id: "conn/odd id", name: "Billing devices", credential_name: "Fleet API" },
      alert: {
        rule_id: "rule_1",
        channel_id: "chan_1",
        dedup_key: "outbound-sync/rule_1/conn",
        failure_threshold: 1,
        consecutive_failures: 0,
        condition: "freshness",
      },
      publicUrl: PUBLIC_URL,
    });
    const url = "https://sync.example.com/connections/conn%2Fodd%20id";
    expect(payload).toMatchObject({ job_url: null, run_url: null, connection_url: url });
    expect(links(payload)).toEqual({
      slack: [["View connection", url]],
      email: `View connection: ${url}`,
      pagerDuty: [{ href: url, text: "View connection in Outbound Sync" }],
    });
  });

  it("an alert about a destination host to the dashboard, which shows the host's breaker", () => {
    const payload = hostAlert();
    expect(links(payload)).toEqual({
      slack: [["Open the dashboard", "https://sync.example.com/"]],
      email: "Open the dashboard: https://sync.example.com/",
      pagerDuty: [{ href: "https://sync.example.com/", text: "Open the dashboard in Outbound Sync" }],
    });
  });

  it("nothing in a payload stored before the links were added", () => {
    const stored = hostAlert();
    delete stored.connection_url;
    delete stored.dashboard_url;
    expect(links(stored)).toEqual({ slack: null, email: undefined, pagerDuty: null });
  });
});
