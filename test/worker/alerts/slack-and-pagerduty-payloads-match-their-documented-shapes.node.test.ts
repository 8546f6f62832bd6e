import { describe, expect, it } from "vitest";
import { buildPagerDutyEvent, pagerDutyDedupKey } from "../../../worker/alerts/pagerduty";
import { buildSlackMessage, escapeMrkdwn, type SlackBlock, type SlackMessage } from "../../../worker/alerts/slack";
import { renderMessage } from "../../../worker/alerts/render";
import { buildAlertEmail } from "../../../worker/alerts/email-content";
import { makePayload } from "../factories/alert-payloads";
import { MISSING_SPIKE_HINT } from "../../../worker/alerts/anomaly-rules";

const alert = { rule_id: "rule_1", channel_id: "chan_1", dedup_key: pagerDutyDedupKey("rule_1", "conn_sf"), failure_threshold: 2, consecutive_failures: 2 };

// Block Kit's documented limits for incoming webhooks (api.slack.com/reference/block-kit).
function blockKitProblems(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (typeof message.text !== "string" || message.text === "") problems.push("text fallback missing");
  if (message.blocks.length > 50) problems.push("more than 50 blocks");
  const checkText = (where: string, text: { type: string; text: string } | undefined, max: number) => {
    if (text === undefined) return;
    if (text.type !== "mrkdwn" && text.type !== "plain_text") problems.push(`${where}: bad text type`);
    if (text.text.length === 0 || text.text.length > max) problems.push(`${where}: length ${text.text.length}`);
  };
  message.blocks.forEach((block: SlackBlock, i) => {
    switch (block.type) {
      case "header":
        if (block.text.type !== "plain_text") problems.push(`${i}: header must be plain_text`);
        checkText(`${i} header`, block.text, 150);
        break;
      case "section":
        if (block.text === undefined && block.fields === undefined) problems.push(`${i}: empty section`);
        checkText(`${i} section`, block.text, 3000);
        if ((block.fields?.length ?? 0) > 10) problems.push(`${i}: more than 10 fields`);
        block.fields?.forEach((field, j) => checkText(`${i}.${j} field`, field, 2000));
        break;
      case "actions":
        block.elements.forEach((button, j) => {
          checkText(`${i}.${j} button`, button.text, 75);
          if (button.text.type !== "plain_text") problems.push(`${i}.${j}: button text must be plain_text`);
          if (!/^https?:\/\//.test(button.url) || button.url.length > 3000) problems.push(`${i}.${j}: bad url`);
        });
        break;
      case "context":
        if (block.elements.length > 10) problems.push(`${i}: more than 10 context elements`);
        break;
      case "divider":
        break;
    }
  });
  return problems;
}

describe("Slack messages", () => {
  it("are Block Kit within Slack's limits, with a fallback text, the seed's facts and a link to the job", () => {
    const message = buildSlackMessage(makePayload({ type: "alert.raised", alert }));
    expect(blockKitProblems(message)).toEqual([]);
    expect(message.blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: "🔴 Sync failing: Salesforce → Snowflake", emoji: true } });
    const flat = JSON.stringify(message);
    expect(flat).toContain("Stream Account: 401 Unauthorized — token expired");
    expect(flat).toContain("*Consecutive failures*\\n2 (alert after 2)");
    expect(message.blocks).toContainEqual(expect.objectContaining({ type: "actions" }));
    expect(flat).toContain("https://sync.example.com/jobs/");
  });

  it("say a Verify Mismatch alert is about writes not stored as sent, with the records counted", () => {
    const mismatch = { ...alert, condition: "verify_mismatch" as const, failure_threshold: 1, consecutive_failures: 0, records: 3 };
    const message = buildSlackMessage(makePayload({ type: "alert.raised", status: "completed", error: null, error_summary: null, alert: mismatch }));
    expect(blockKitProblems(message)).toEqual([]);
    expect(message.blocks[0]).toMatchObject({ text: { text: expect.stringContaining("Writes not stored as sent: Salesforce → Snowflake") } });
    expect(JSON.stringify(message)).toContain("*Verify Mismatch*\\n3 record(s) accepted but stored differently (alert at 1)");
  });

  it("say what an anomaly found and what to check first, on Slack, in email and on PagerDuty", () => {
    const spike = {
      ...alert,
      condition: "missing_spike" as const,
      consecutive_failures: 0,
      severity: "warning" as const,
      state: "warning" as const,
      summary: "Missing Destination 300 of 1,000 in scope (30%), 27.8 points above the median 2.2% of the last 4 completed runs (alert at +20 points)",
      hint: MISSING_SPIKE_HINT,
    };
    const payload = makePayload({ type: "alert.raised", status: "completed", error: null, error_summary: null, alert: spike });
    const message = buildSlackMessage(payload);
    expect(blockKitProblems(message)).toEqual([]);
    const flat = JSON.stringify(message);
    expect(flat).toContain(`*Destination missing spike*\\n${spike.summary}`);
    expect(flat).toContain(`*Hint:* ${MISSING_SPIKE_HINT}`);
    expect(buildAlertEmail(payload).text).toContain(`Hint: ${MISSING_SPIKE_HINT}`);
    const event = buildPagerDutyEvent(payload, "routing", "warning", "https://sync.example.com");
    expect(event.event_action === "trigger" && event.payload.custom_details).toMatchObject({ hint: MISSING_SPIKE_HINT });
    // A recovery notice does not tell anyone what to check.
    expect(JSON.stringify(buildSlackMessage({ ...payload, type: "alert.resolved" }))).not.toContain("Hint");
  });

  it("show a job that completed with failed records as a warning, not a green check", () => {
    const quiet = { type: "job.status_changed" as const, status: "completed", error: null, error_summary: null, failed_at: null, alert: null };
    const message = buildSlackMessage(makePayload({ ...quiet, failed_records: 1, status_detail: "Completed with 1 failed record" }));
    expect(blockKitProblems(message)).toEqual([]);
    expect(message.text).toBe("⚠️ Sync completed with 1 failed record: Salesforce → Snowflake");
    expect(JSON.stringify(message)).toContain("*Status*\\nCompleted with 1 failed record");
    expect(buildSlackMessage(makePayload({ ...quiet, failed_records: 0, status_detail: null })).text).toBe("✅ Sync completed: Salesforce → Snowflake");
    const email = buildAlertEmail(makePayload({ ...quiet, failed_records: 1, status_detail: "Completed with 1 failed record" }));
    expect(email.text).toContain("Status: Completed with 1 failed record");
    const event = buildPagerDutyEvent(
      makePayload({ type: "alert.raised", alert, failed_records: 4, status_detail: null }),
      "rk",
      "critical",
      "https://sync.example.com",
    );
    expect(event).toMatchObject({ event_action: "trigger", payload: { custom_details: { failed_records: 4, status_detail: null } } });
  });

  it("announce a recovery differently from an alert", () => {
    const message = buildSlackMessage(makePayload({ type: "alert.resolved", status: "completed", error_summary: null, error: null, failed_at: null, alert }));
    expect(blockKitProblems(message)).toEqual([]);
    expect(message.text).toContain("✅ Sync recovered: Salesforce → Snowflake");
  });

  it("escape data so a name or an error cannot mention a channel, forge a link or break the markup", () => {
    const hostile = makePayload({
      type: "alert.raised",
      alert,
      connection_name: "<!channel> & <https://evil.example|click>",
      error_summary: "<@U123> failed > badly & <!here>",
    });
    const message = buildSlackMessage(hostile);
    const mrkdwn = message.blocks.flatMap((b) =>
      b.type === "section" ? [b.text?.text ?? "", ...(b.fields ?? []).map((f) => f.text)] : b.type === "context" ? b.elements.map((e) => e.text) : [],
    );
    for (const text of [...mrkdwn, message.text]) {
      expect(text).not.toMatch(/<[!@#]/);
      expect(text).not.toContain("<https://evil");
    }
    expect(mrkdwn.join("\n")).toContain("&lt;@U123&gt; failed &gt; badly &amp; &lt;!here&gt;");
    expect(escapeMrkdwn("a & b < c > d")).toBe("a &amp; b &lt; c &gt; d");
  });

  it("name the alert's state first, one message per state change: Warning, Critical, then Resolved", () => {
    const fresh = { ...alert, condition: "freshness" as const, summary: "no successful run for 2h 10m (every hour)", hint: "Check the schedule." };
    const stateOf = (type: "alert.raised" | "alert.resolved", state: "warning" | "critical" | "resolved", severity: "warning" | "critical") =>
      buildSlackMessage(makePayload({ type, status: "completed", error: null, error_summary: null, alert: { ...fresh, state, severity } }));
    const warning = stateOf("alert.raised", "warning", "warning");
    expect(blockKitProblems(warning)).toEqual([]);
    expect(warning.blocks[0]).toMatchObject({ text: { text: "🟠 Warning · Data not fresh: Salesforce → Snowflake" } });
    expect(JSON.stringify(warning)).toContain("*State*\\nWarning");
    expect(JSON.stringify(warning)).toContain("*Freshness*\\nno successful run for 2h 10m (every hour)");
    expect(JSON.stringify(warning)).toContain("*Hint:* Check the schedule.");
    expect(stateOf("alert.raised", "critical", "critical").text).toContain("🔴 Critical · Data not fresh: Salesforce → Snowflake");
    const resolved = stateOf("alert.resolved", "resolved", "critical");
    expect(resolved.text).toContain("✅ Resolved · Data not fresh: Salesforce → Snowflake");
    expect(JSON.stringify(resolved)).toContain("*State*\\nResolved");
  });

  it("clip a very long error to Slack's limits", () => {
    const message = buildSlackMessage(makePayload({ type: "alert.raised", alert, error_summary: "x".repeat(10_000), connection_name: "n".repeat(400) }));
    expect(blockKitProblems(message)).toEqual([]);
  });
});

describe("PagerDuty events", () => {
  it("trigger with the Events API v2 fields and a dedup key stable per rule and connection", () => {
    const event = buildPagerDutyEvent(makePayload({ type: "alert.raised", alert }), "R0123456789abcdef0123456789abcde", "critical", "https://sync.example.com");
    expect(event).toMatchObject({
      routing_key: "R0123456789abcdef0123456789abcde",
      event_action: "trigger",
      dedup_key: "outbound-sync/rule_1/conn_sf",
      payload: {
        summary: expect.stringContaining("Sync failing: Salesforce → Snowflake — Stream Account: 401 Unauthorized"),
        source: "outbound-sync",
        severity: "critical",
        component: "Salesforce → Snowflake",
        group: "Fleet API",
        class: "unauthorized",
      },
      client: "Outbound Sync",
      client_url: "https://sync.example.com",
    });
    if (event.event_action !== "trigger") return;
    expect(event.payload.summary.length).toBeLessThanOrEqual(1024);
    expect(new Date(event.payload.timestamp).toISOString()).toBe(event.payload.timestamp);
    expect(event.links?.[0]?.href).toMatch(/^https:\/\/sync\.example\.com\/jobs\//);
    expect(event.dedup_key.length).toBeLessThanOrEqual(255);
  });

  it("resolve with only the routing key, the action and the same dedup key", () => {
    const event = buildPagerDutyEvent(
      makePayload({ type: "alert.resolved", status: "completed", alert }),
      "R0123456789abcdef0123456789abcde",
      "error",
      "https://sync.example.com",
    );
    expect(event).toEqual({ routing_key: "R0123456789abcdef0123456789abcde", event_action: "resolve", dedup_key: "outbound-sync/rule_1/conn_sf" });
  });

  it("page a warning incident as a PagerDuty warning and a critical one at the channel's severity, with the state in the details", () => {
    const trigger = (severity: "warning" | "critical") =>
      buildPagerDutyEvent(makePayload({ type: "alert.raised", alert: { ...alert, severity, state: severity } }), "key", "error", "https://sync.example.com");
    const warning = trigger("warning");
    const critical = trigger("critical");
    if (warning.event_action !== "trigger" || critical.event_action !== "trigger") throw new Error("expected triggers");
    expect(warning.payload.severity).toBe("warning");
    expect(warning.payload.summary).toMatch(/^🟠 Warning · Sync failing: Salesforce → Snowflake/);
    expect(warning.payload.custom_details).toMatchObject({ state: "warning", severity: "warning" });
    expect(critical.payload.severity).toBe("error");
    expect(critical.payload.custom_details).toMatchObject({ state: "critical", severity: "critical" });
    // The escalation is a second trigger under the same key: PagerDuty raises the open incident's severity.
    expect(critical.dedup_key).toBe(warning.dedup_key);
  });

  it("keeps the summary within 1024 characters", () => {
    const event = buildPagerDutyEvent(
      makePayload({ type: "alert.raised", alert, error_summary: "e".repeat(5_000) }),
      "key",
      "error",
      "https://sync.example.com",
    );
    expect(event.event_action === "trigger" && event.payload.summary.length).toBe(1024);
  });

  it("go to the events URL with the routing key only in the body, which is redacted from records", async () => {
    const message = await renderMessage(
      { kind: "pagerduty", eventsUrl: "https://events.pagerduty.com/v2/enqueue", routingKey: "R0123456789abcdef0123456789abcde", severity: "error" },
      { webhookId: "msg_1", payloadJson: JSON.stringify(makePayload({ type: "alert.raised", alert })), now: Date.now(), publicUrl: "https://sync.example.com" },
    );
    expect(message.transport === "http" && message.request.url).toBe("https://events.pagerduty.com/v2/enqueue");
    expect(message.transport === "http" && message.redact).toEqual(["R0123456789abcdef0123456789abcde"]);
  });
});
