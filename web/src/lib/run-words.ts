import type { RunMode, RunSummary, RunTrigger } from "./run-types";

export const TRIGGER_LABEL: Record<RunTrigger, string> = {
  manual: "Manual",
  schedule: "Schedule",
  api: "API",
  rerun: "Rerun",
};

// Who started it: "Manual — alice@example.com"; the scheduler needs no name.
export function triggerText(run: Pick<RunSummary, "trigger" | "requested_by">): string {
  const label = TRIGGER_LABEL[run.trigger];
  return run.trigger === "schedule" || run.requested_by === "" ? label : `${label} — ${run.requested_by}`;
}

export const MODE_MEANING: Record<RunMode, string> = {
  dry: "Dry run: reads, looks up and compares; writes nothing",
  live: "Live: writes to the destination",
};
