import { ALERT_STATE_LABELS, alertStateOf } from "./alert-state-words";
import { alertFact, alertHint, dashboardLink, type EventPayload } from "./payload";
import { headline, statusText } from "./slack";

export interface AlertEmailContent {
  subject: string;
  text: string;
}

// Plain text on purpose: nothing from the data can become markup or a link the reader did not see.
export function buildAlertEmail(payload: EventPayload): AlertEmailContent {
  const subject = `[Outbound Sync] ${headline(payload).replace(/^\S+ /, "")}`;
  const lines: string[] = [headline(payload).replace(/^\S+ /, ""), ""];
  if (payload.type === "alert.test") lines.push("This is a test message. Alerts for this channel will look like this.", "");
  if (payload.type === "alert.resolved") lines.push(payload.alert?.summary ?? "The connection synced successfully again.", "");
  const row = (label: string, value: string | number | null | undefined) => {
    if (value !== null && value !== undefined) lines.push(`${label}: ${value}`);
  };
  row("Connection", payload.connection_name);
  row("Credential", payload.credential_name);
  const state = alertStateOf(payload);
  if (state !== null) row("State", ALERT_STATE_LABELS[state]);
  if (payload.status !== state) row("Status", statusText(payload));
  if (payload.alert !== null && payload.type === "alert.raised") {
    const fact = alertFact(payload.alert);
    row(fact.label, fact.value);
  }
  row("Started", payload.started_at);
  row(payload.status === "failed" ? "Failed" : "Finished", payload.failed_at ?? payload.finished_at);
  row("Error", payload.error_summary);
  row("Hint", alertHint(payload));
  if (payload.counters !== null) {
    row("Records synced", payload.counters.records_synced);
    row("Records failed", payload.counters.records_failed);
  }
  row("Job", payload.job_id);
  row("Run", payload.run_id);
  const link = dashboardLink(payload);
  if (link !== null) lines.push("", `${link.text}: ${link.url}`);
  lines.push("", "-- ", "Sent by Outbound Sync alerts. Change the rules under Alerts in the dashboard.");
  return { subject: subject.replace(/[\r\n]+/g, " "), text: lines.join("\n") };
}
