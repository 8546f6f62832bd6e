import { assertNever, keysOf } from "../../../shared/lang";
import type { ActiveStatus, RunStatus } from "./run-types";

// Run and job statuses are the worker's vocabulary (worker/schemas/vocabulary.ts, type-only here); these tables give
// them the seed's words, icons and colours, and a status added or moved there fails to compile here until it has them.

// "warning" marks a completed status that carries a note (it wrote nothing, and why).
export const STATUS_ICONS = ["clock", "spinner", "check", "x", "dash", "warning"] as const;
export type StatusIcon = (typeof STATUS_ICONS)[number];

export const STATUS_LABEL: Record<RunStatus, string> = {
  pending: "Pending",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  canceled: "Canceled",
};

// Lifecycle order, as the label table lists them.
export const STATUSES: readonly RunStatus[] = keysOf(STATUS_LABEL);

// Keyed by the vocabulary's active statuses: a status that becomes active or terminal there fails to compile here.
const ACTIVE: Record<ActiveStatus, true> = { pending: true, running: true };

export function isActive(status: RunStatus): boolean {
  return Object.hasOwn(ACTIVE, status);
}

export function isTerminal(status: RunStatus): boolean {
  return !isActive(status);
}

export const STATUS_ICON: Record<RunStatus, StatusIcon> = {
  pending: "clock",
  running: "spinner",
  completed: "check",
  failed: "x",
  canceled: "dash",
};

// Spoken with the icon, so the colour is never the only signal.
export const STATUS_ICON_NAME: Record<StatusIcon, string> = {
  clock: "yellow clock",
  spinner: "blue spinner",
  check: "green check",
  x: "red X",
  dash: "grey dash",
  warning: "yellow warning sign",
};

export const STATUS_MEANING: Record<RunStatus, string> = {
  pending: "Queued, waiting for a worker slot",
  running: "Connection/run is currently processing",
  completed: "Execution finished without terminal error",
  failed: "Terminal request/contract/payload error occurred",
  canceled: "User-initiated cancellation before completion",
};

export const STATUS_NEXT_ACTION: Record<RunStatus, string> = {
  pending: "Wait for the active run on this credential to finish",
  running: "Monitor progress and logs",
  completed: "Review update/skip diagnostics",
  failed: "Use error details + logs to isolate contract or mapping issue",
  canceled: "Rerun single first, then full if needed",
};

// SVG path data per icon; the spinner's arc is drawn over a faint full ring.
export function iconPaths(icon: StatusIcon): readonly string[] {
  switch (icon) {
    case "clock":
      return ["M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18", "M12 7v5l3 2"];
    case "spinner":
      return ["M12 3a9 9 0 0 1 9 9"];
    case "check":
      return ["M5 12.5l4.5 4.5L19 7.5"];
    case "x":
      return ["M6.5 6.5l11 11", "M17.5 6.5l-11 11"];
    case "dash":
      return ["M6 12h12"];
    case "warning":
      return ["M12 3.5L21.5 20h-19z", "M12 10v4.5", "M12 17.5v.01"];
    default:
      return assertNever(icon);
  }
}
