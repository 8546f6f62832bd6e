import { ALERT_STATE_LABELS, alertStateIcon, alertStateOf } from "./alert-state-words";
import { alertFact, alertHeadline, alertHint, dashboardLink, type EventPayload } from "./payload";
import { assertNever } from "../../shared/lang";
import type { AlertState } from "./vocabulary";

// Incoming-webhook body: `text` is the notification fallback, `blocks` the Block Kit layout.
// Everything that comes from data (names, error messages) is escaped for mrkdwn, so a connection
// named "<!channel>" cannot ping a channel or forge a link.

export interface SlackText {
  type: "mrkdwn" | "plain_text";
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: "header"; text: SlackText }
  | { type: "section"; text?: SlackText; fields?: SlackText[] }
  | { type: "context"; elements: SlackText[] }
  | { type: "actions"; elements: Array<{ type: "button"; text: SlackText; url: string; style?: "primary" | "danger" }> }
  | { type: "divider" };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

// Block Kit limits: header 150 characters, section text 3000, a field 2000.
const HEADER_MAX = 150;
const SECTION_MAX = 3000;
const FIELD_MAX = 2000;

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function buildSlackMessage(payload: EventPayload): SlackMessage {
  const title = headline(payload);
  const blocks: SlackBlock[] = [{ type: "header", text: { type: "plain_text", text: clip(title, HEADER_MAX), emoji: true } }];

  const summary = payload.error_summary ?? lead(payload);
  if (summary !== null) {
    blocks.push({ type: "section", text: { type: "mrkdwn", text: clip(escapeMrkdwn(summary), SECTION_MAX) } });
  }
  const hint = alertHint(payload);
  if (hint) blocks.push({ type: "section", text: { type: "mrkdwn", text: clip(`*Hint:* ${escapeMrkdwn(hint)}`, SECTION_MAX) } });

  const fields: SlackText[] = [];
  const field = (label: string, value: string | null) => {
    if (value !== null) fields.push({ type: "mrkdwn", text: clip(`*${label}*\n${escapeMrkdwn(value)}`, FIELD_MAX) });
  };
  field("Connection", payload.connection_name);
  const state = alertStateOf(payload);
  if (state !== null) field("State", ALERT_STATE_LABELS[state]);
  // An alert with no job (freshness, a destination) has its state as its status: said once.
  if (payload.status !== state) field("Status", statusText(payload));
  if (payload.alert !== null && payload.type === "alert.raised") {
    const fact = alertFact(payload.alert);
    field(fact.label, fact.value);
  }
  field("Started", payload.started_at);
  field(payload.status === "failed" ? "Failed" : "Finished", payload.failed_at ?? payload.finished_at);
  if (payload.counters !== null) {
    field("Records", `${payload.counters.records_synced} synced, ${payload.counters.records_failed} failed`);
  }
  if (fields.length > 0) blocks.push({ type: "section", fields: fields.slice(0, 10) });

  const link = dashboardLink(payload);
  if (link !== null) {
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: link.text },
          url: link.url,
          ...(payload.type === "alert.raised" ? { style: "danger" as const } : {}),
        },
      ],
    });
  }
  const ids = [payload.run_id && `run ${payload.run_id}`, payload.job_id && `job ${payload.job_id}`].filter(Boolean).join(" · ");
  blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: escapeMrkdwn(`Outbound Sync${ids ? ` · ${ids}` : ""}`) }] });

  return { text: escapeMrkdwn(summary === null ? title : `${title}: ${clip(summary, 300)}`), blocks };
}

export function headline(payload: EventPayload): string {
  const name = payload.connection_name ?? payload.credential_name ?? "a sync";
  const state = alertStateOf(payload);
  // An alert with a state names it first ("Warning · Data not fresh", "Resolved · Sync failing"): one message per state change.
  if (state !== null) return `${alertStateIcon(state)} ${ALERT_STATE_LABELS[state]} · ${stateHeadline(payload, state)}: ${name}`;
  return `${icon(payload)} ${describe(payload)}: ${name}`;
}

// A failing sync that resolved is a recovery; any other condition names what cleared.
function stateHeadline({ alert }: EventPayload, state: AlertState): string {
  return state === "resolved" && (alert?.condition ?? "job_failed") === "job_failed" ? "Sync recovered" : alertHeadline(alert);
}

function describe({ type, status, alert, status_detail }: EventPayload): string {
  switch (type) {
    case "alert.raised":
      return alertHeadline(alert);
    case "alert.resolved":
      return "Sync recovered";
    case "alert.test":
      return "Test alert";
    case "job.status_changed":
    case "run.status_changed":
      return `Sync ${(status_detail ?? statusLabel(status)).toLowerCase()}`;
    default:
      return assertNever(type);
  }
}

function lead({ type, alert }: EventPayload): string | null {
  switch (type) {
    case "alert.resolved":
      return alert?.summary ?? "The connection synced successfully again.";
    case "alert.test":
      return "This is a test message from Outbound Sync. Alerts for this channel will look like this.";
    case "alert.raised":
    case "job.status_changed":
    case "run.status_changed":
      return null;
    default:
      return assertNever(type);
  }
}

function icon({ type, status, status_detail }: EventPayload): string {
  if (type === "alert.raised" || status === "failed") return "🔴";
  // Completed, but with failed records: not the green check of a clean success.
  if (status_detail != null && type !== "alert.resolved") return "⚠️";
  if (type === "alert.resolved" || status === "completed") return "✅";
  if (type === "alert.test") return "🔔";
  return "ℹ️";
}

// The status as people read it: "Completed with 3 failed records" where that is what happened.
export function statusText(payload: EventPayload): string {
  return payload.status_detail ?? statusLabel(payload.status);
}

// The seed's words: Completed, Failed, Running, Canceled, Pending.
export function statusLabel(status: string): string {
  return status.length === 0 ? status : status[0]!.toUpperCase() + status.slice(1);
}

// Limits count UTF-16 units; whole code points are kept so an emoji is never cut in half.
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = "";
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}
