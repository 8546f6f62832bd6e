import type { AlertSeverity } from "./vocabulary";

// An alert is a state per rule and subject (a connection, or a destination host): OK, warning or critical.
// Only a change of state is worth a notification, so every judgement goes through this one function.

export type AlertLevel = "ok" | AlertSeverity;

export type IncidentTransition =
  { kind: "none" } | { kind: "open"; severity: AlertSeverity } | { kind: "change"; from: AlertSeverity; to: AlertSeverity } | { kind: "resolve" };

/** What moving from the open incident (null: none open) to `level` means; a null level has no opinion. */
export function incidentTransition(open: { severity: AlertSeverity } | null, level: AlertLevel | null): IncidentTransition {
  if (level === null) return { kind: "none" };
  if (open === null) return level === "ok" ? { kind: "none" } : { kind: "open", severity: level };
  if (level === "ok") return { kind: "resolve" };
  return level === open.severity ? { kind: "none" } : { kind: "change", from: open.severity, to: level };
}
