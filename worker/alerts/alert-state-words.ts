import type { EventPayload } from "./payload";
import type { AlertState } from "./vocabulary";

// The words and marks every renderer shows for an alert's state, so Slack, PagerDuty and email agree.

export const ALERT_STATE_LABELS = { warning: "Warning", critical: "Critical", resolved: "Resolved" } as const satisfies Record<AlertState, string>;

const ALERT_STATE_ICONS = { warning: "🟠", critical: "🔴", resolved: "✅" } as const satisfies Record<AlertState, string>;

/** What this notification says happened; null for a status change, a test, or an alert stored before states. */
export function alertStateOf(payload: EventPayload): AlertState | null {
  if (payload.type !== "alert.raised" && payload.type !== "alert.resolved") return null;
  return payload.alert?.state ?? null;
}

export function alertStateIcon(state: AlertState): string {
  return ALERT_STATE_ICONS[state];
}
