import { describe, expect, it } from "vitest";
import { incidentTransition } from "../../../worker/alerts/incident-state";
import { planFanOut, type FanOutChannel, type FanOutRule, type OpenIncident } from "../../../worker/alerts/fan-out";
import type { JobFacts } from "../../../worker/alerts/payload";
import { fanOutInput, jobEvent, makeEvent, makeJob, makeRule, pagerDutyChannel, slackChannel, webhookChannel } from "../factories/alert-payloads";

interface Outcome {
  raised: number;
  resolved: number;
}

// Feeds a connection's job results through the planner in order, keeping incidents and the failure
// streak the way the ledger does, and reports which alert events each job produced.
type Result = "failed" | "completed" | "canceled";
function replay(results: Array<Result | (Partial<JobFacts> & { status: Result })>, channels: FanOutChannel[], rules: FanOutRule[]): Outcome[] {
  let open: OpenIncident[] = [];
  let streak = 0;
  return results.map((result) => {
    const facts = typeof result === "string" ? { status: result } : result;
    const status = facts.status;
    if (status === "failed") streak += 1;
    if (status === "completed") streak = 0;
    const job = makeJob(facts);
    const plan = planFanOut(fanOutInput({ event: jobEvent(job, status), jobs: [job], channels, rules, consecutiveFailures: streak, openIncidents: open }));
    for (const incident of plan.openIncidents) {
      const rule = rules.find((r) => r.id === incident.ruleId)!;
      open.push({
        ...incident,
        channelId: rule.channelId,
        raisedAt: 1,
        condition: rule.condition,
        failureThreshold: rule.failureThreshold,
        notifyRecovery: rule.notifyRecovery,
        severity: rule.severity,
      });
    }
    open = open.filter((i) => !plan.resolveIncidents.some((r) => r.ruleId === i.ruleId && r.connectionId === i.connectionId));
    return {
      raised: plan.alertEvents.filter((e) => e.type === "alert.raised").length,
      resolved: plan.alertEvents.filter((e) => e.type === "alert.resolved").length,
    };
  });
}

describe("alert rules", () => {
  it("with a threshold of 2, page on the second failure in a row only, and resolve on the next success only", () => {
    const outcomes = replay(
      ["failed", "failed", "failed", "completed", "failed", "completed", "completed"],
      [slackChannel()],
      [makeRule({ failureThreshold: 2 })],
    );
    expect(outcomes).toEqual([
      { raised: 0, resolved: 0 },
      { raised: 1, resolved: 0 },
      { raised: 0, resolved: 0 },
      { raised: 0, resolved: 1 },
      { raised: 0, resolved: 0 },
      { raised: 0, resolved: 0 },
      { raised: 0, resolved: 0 },
    ]);
  });

  it("with the default threshold of 1, alert on the first failure; canceled jobs neither alert nor recover", () => {
    const outcomes = replay(["canceled", "failed", "canceled", "completed"], [slackChannel()], [makeRule()]);
    expect(outcomes).toEqual([
      { raised: 0, resolved: 0 },
      { raised: 1, resolved: 0 },
      { raised: 0, resolved: 0 },
      { raised: 0, resolved: 1 },
    ]);
  });

  it("stays silent on recovery when the rule asks for no recovery notice, but still resolves PagerDuty", () => {
    expect(replay(["failed", "completed"], [slackChannel()], [makeRule({ notifyRecovery: false })])).toEqual([
      { raised: 1, resolved: 0 },
      { raised: 0, resolved: 0 },
    ]);
    expect(replay(["failed", "completed"], [pagerDutyChannel()], [makeRule({ channelId: "chan_pd", notifyRecovery: false })])).toEqual([
      { raised: 1, resolved: 0 },
      { raised: 0, resolved: 1 },
    ]);
  });

  it("on Verify Mismatch, alert when one job has at least N such records, and recover with the next completed live job without any", () => {
    const mismatched = (n: number, status: Result = "completed", mode = "live") => ({ status, mode, verify_mismatch: n });
    const outcomes = replay(
      [mismatched(1), mismatched(3), mismatched(2, "failed"), mismatched(0, "completed", "dry"), mismatched(0, "failed"), mismatched(0), mismatched(2)],
      [slackChannel()],
      [makeRule({ condition: "verify_mismatch", failureThreshold: 2 })],
    );
    expect(outcomes).toEqual([
      { raised: 0, resolved: 0 },
      { raised: 1, resolved: 0 },
      { raised: 0, resolved: 0 },
      { raised: 0, resolved: 0 },
      { raised: 0, resolved: 0 },
      { raised: 0, resolved: 1 },
      { raised: 1, resolved: 0 },
    ]);
  });

  it("keeps failure and outcome rules apart: a failed job raises no Drifted alert, a completed job with drift resolves the failure alert only", () => {
    const failing = makeRule({ condition: "job_failed" });
    const drift = makeRule({ condition: "drifted" });
    const job = makeJob({ status: "completed", drifted: 4 });
    const plan = planFanOut(
      fanOutInput({ event: jobEvent(job, "completed"), jobs: [job], channels: [slackChannel()], rules: [failing, drift], consecutiveFailures: 0 }),
    );
    expect(plan.openIncidents.map((i) => i.ruleId)).toEqual([drift.id]);
    expect(plan.alertEvents[0]!.payload.alert).toMatchObject({ condition: "drifted", records: 4, failure_threshold: 1 });
    expect(
      replay(
        [
          { status: "failed", drifted: 0 },
          { status: "completed", drifted: 1 },
        ],
        [slackChannel()],
        [failing, drift],
      ),
    ).toEqual([
      { raised: 1, resolved: 0 },
      { raised: 1, resolved: 1 },
    ]);
  });

  it("watches only the chosen connections", () => {
    const job = makeJob({ connection_id: "conn_other" });
    const plan = planFanOut(
      fanOutInput({
        event: jobEvent(job, "failed"),
        jobs: [job],
        channels: [slackChannel()],
        rules: [makeRule({ connectionIds: ["conn_sf"] })],
        consecutiveFailures: 5,
      }),
    );
    expect(plan.alertEvents).toEqual([]);
  });

  it("raises with a dedup key stable per rule and connection, addressed to the rule's channel", () => {
    const rule = makeRule({ channelId: "chan_pd", failureThreshold: 2 });
    const job = makeJob();
    const plan = planFanOut(
      fanOutInput({ event: jobEvent(job, "failed"), jobs: [job], channels: [pagerDutyChannel()], rules: [rule], consecutiveFailures: 2 }),
    );
    expect(plan.openIncidents).toEqual([{ ruleId: rule.id, connectionId: "conn_sf", dedupKey: `outbound-sync/${rule.id}/conn_sf`, severity: "critical" }]);
    expect(plan.alertEvents[0]!.payload.alert).toEqual({
      rule_id: rule.id,
      channel_id: "chan_pd",
      dedup_key: `outbound-sync/${rule.id}/conn_sf`,
      condition: "job_failed",
      failure_threshold: 2,
      consecutive_failures: 2,
      records: null,
      severity: "critical",
      state: "critical",
    });
    expect(plan.alertEvents[0]!.payload).toMatchObject({ type: "alert.raised", job_id: job.id, connection_name: "Salesforce → Snowflake", status: "failed" });
  });
});

describe("an incident's state", () => {
  it("changes only when the level does: open, move between warning and critical, resolve; no opinion keeps it", () => {
    expect(incidentTransition(null, "ok")).toEqual({ kind: "none" });
    expect(incidentTransition(null, null)).toEqual({ kind: "none" });
    expect(incidentTransition(null, "warning")).toEqual({ kind: "open", severity: "warning" });
    expect(incidentTransition({ severity: "warning" }, "warning")).toEqual({ kind: "none" });
    expect(incidentTransition({ severity: "warning" }, "critical")).toEqual({ kind: "change", from: "warning", to: "critical" });
    expect(incidentTransition({ severity: "critical" }, "warning")).toEqual({ kind: "change", from: "critical", to: "warning" });
    expect(incidentTransition({ severity: "critical" }, null)).toEqual({ kind: "none" });
    expect(incidentTransition({ severity: "critical" }, "ok")).toEqual({ kind: "resolve" });
  });

  it("carries the rule's severity and the state in each alert a job raises and resolves", () => {
    const rule = makeRule({ severity: "warning" });
    const job = makeJob({ status: "failed" });
    const raised = planFanOut(fanOutInput({ event: jobEvent(job, "failed"), jobs: [job], channels: [slackChannel()], rules: [rule], consecutiveFailures: 1 }));
    expect(raised.openIncidents).toEqual([expect.objectContaining({ ruleId: rule.id, severity: "warning" })]);
    expect(raised.alertEvents[0]!.payload.alert).toMatchObject({ severity: "warning", state: "warning" });
    const ok = makeJob({ status: "completed" });
    const open: OpenIncident = {
      ...raised.openIncidents[0]!,
      channelId: rule.channelId,
      raisedAt: 1,
      condition: "job_failed",
      failureThreshold: 1,
      notifyRecovery: true,
    };
    const resolved = planFanOut(
      fanOutInput({ event: jobEvent(ok, "completed"), jobs: [ok], channels: [slackChannel()], rules: [rule], openIncidents: [open] }),
    );
    expect(resolved.alertEvents[0]!.payload.alert).toMatchObject({ severity: "warning", state: "resolved" });
  });
});

describe("fan-out of status changes", () => {
  it("sends every status change to custom webhooks and none to alert-only channels", () => {
    const job = makeJob({ status: "running" });
    const plan = planFanOut(
      fanOutInput({ event: jobEvent(job, "running", "pending"), jobs: [job], channels: [webhookChannel(), slackChannel(), pagerDutyChannel()] }),
    );
    expect(plan.deliveries).toEqual([{ channelId: "chan_hook" }]);
    expect(plan.payload).toMatchObject({ type: "job.status_changed", status: "running", previous_status: "pending", finished_at: null, failed_at: null });
  });

  it("respects a webhook's chosen event types", () => {
    const runOnly = webhookChannel("chan_runs", { event_types: ["run.status_changed"] });
    const job = makeJob();
    expect(planFanOut(fanOutInput({ event: jobEvent(job, "failed"), jobs: [job], channels: [runOnly] })).deliveries).toEqual([]);
    const runEvent = makeEvent({ type: "run.status_changed", jobId: null, connectionId: null });
    expect(planFanOut(fanOutInput({ event: runEvent, jobs: [job], channels: [runOnly] })).deliveries).toEqual([{ channelId: "chan_runs" }]);
  });

  it("sends a webhook scoped to connections only the changes of runs and jobs that touch one of them", () => {
    const scoped = webhookChannel("chan_scoped", { connection_ids: ["conn_sf", "conn_hub"] });
    const everything = webhookChannel("chan_all");
    const ours = makeJob({ connection_id: "conn_hub" });
    const theirs = makeJob({ connection_id: "conn_other" });
    const delivered = (event: ReturnType<typeof makeEvent>, jobs: ReturnType<typeof makeJob>[]) =>
      planFanOut(fanOutInput({ event, jobs, channels: [scoped, everything] })).deliveries.map((d) => d.channelId);

    expect(delivered(jobEvent(ours, "completed"), [ours])).toEqual(["chan_scoped", "chan_all"]);
    expect(delivered(jobEvent(theirs, "completed"), [theirs])).toEqual(["chan_all"]);
    const runEvent = makeEvent({ type: "run.status_changed", jobId: null, connectionId: null });
    expect(delivered(runEvent, [theirs, ours])).toEqual(["chan_scoped", "chan_all"]);
    expect(delivered(runEvent, [theirs])).toEqual(["chan_all"]);
  });

  it("does not send a backlog from before a channel existed", () => {
    const event = makeEvent({ createdAt: 1_000 });
    const late: FanOutChannel = { ...webhookChannel(), createdAt: 2_000 };
    expect(planFanOut(fanOutInput({ event, channels: [late] })).deliveries).toEqual([]);
  });

  it("delivers an alert event to its rule's channel only", () => {
    const rule = makeRule({ channelId: "chan_slack" });
    const job = makeJob();
    const raised = planFanOut(
      fanOutInput({ event: jobEvent(job, "failed"), jobs: [job], channels: [slackChannel(), webhookChannel()], rules: [rule], consecutiveFailures: 1 }),
    ).alertEvents[0]!;
    const alertEvent = makeEvent({ id: raised.id, type: "alert.raised", payloadJson: JSON.stringify(raised.payload) });
    const plan = planFanOut(fanOutInput({ event: alertEvent, channels: [slackChannel(), webhookChannel()] }));
    expect(plan.deliveries).toEqual([{ channelId: "chan_slack" }]);
    expect(plan.payload.event_id).toBe(raised.id);
  });
});
