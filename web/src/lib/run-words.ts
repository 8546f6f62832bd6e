import type { RunMode, RunTrigger } from "./run-types";

export const TRIGGER_LABEL: Record<RunTrigger, string> = {
  manual: "Manual",
  schedule: "Schedule",
  api: "API",
  rerun: "Rerun",
};

export const MODE_MEANING: Record<RunMode, string> = {
  dry: "Dry run: reads, looks up and compares; writes nothing",
  live: "Live: writes to the destination",
};
