import type { AlertSeverity } from "../../../worker/alerts/vocabulary";
import { formatShortAbsolute } from "./format";

// Snooze choices shared by a rule's form and a connection's "Mute alerts": a fixed length from now, or a time
// the person picks. "keep" leaves a rule's mute as it is.
export const SNOOZE_CHOICES = ["keep", "1h", "1d", "1w", "until", "unmute"] as const;
export type SnoozeChoice = (typeof SNOOZE_CHOICES)[number];

const HOUR = 3_600_000;
const SNOOZE_LENGTHS = { "1h": HOUR, "1d": 24 * HOUR, "1w": 7 * 24 * HOUR } as const;

export const SEVERITY_LABELS: Record<AlertSeverity, string> = { warning: "Warning", critical: "Critical" };

export function snoozeOptions(mutedUntil: string | null, now: number): Array<{ value: SnoozeChoice; label: string }> {
  const muted = isMuted(mutedUntil, now);
  return [
    { value: "keep", label: muted ? `Keep: ${mutedText(mutedUntil!)}` : "Not muted" },
    { value: "1h", label: "Snooze 1 hour" },
    { value: "1d", label: "Snooze 1 day" },
    { value: "1w", label: "Snooze 1 week" },
    { value: "until", label: "Snooze until a time…" },
    ...(muted ? [{ value: "unmute" as const, label: "Unmute" }] : []),
  ];
}

export function isMuted(mutedUntil: string | null, now: number): boolean {
  return mutedUntil !== null && Date.parse(mutedUntil) > now;
}

export function mutedText(mutedUntil: string): string {
  return `Muted until ${formatShortAbsolute(mutedUntil)}`;
}

/**
 * What to send as `muted_until` / `until` for a choice: undefined leaves it as it is, null unmutes. A time typed
 * in the "until" field (datetime-local, the browser's zone) goes out as ISO; a blank or unreadable one goes out as
 * typed, so the server's 400 lands on the field.
 */
export function snoozeValue(choice: SnoozeChoice, untilLocal: string, now: number): string | null | undefined {
  switch (choice) {
    case "keep":
      return undefined;
    case "unmute":
      return null;
    case "until": {
      const at = new Date(untilLocal).getTime();
      return Number.isNaN(at) ? untilLocal : new Date(at).toISOString();
    }
    default:
      return new Date(now + SNOOZE_LENGTHS[choice]).toISOString();
  }
}
