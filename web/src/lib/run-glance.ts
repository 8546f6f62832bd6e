import { runNote } from "./job-outcome";
import { countersOf, runProgress } from "./progress";
import { isActive } from "./statuses";
import type { RunEntry } from "../state/runs.svelte";

// What a run's card and its folder row both show at a glance, worked out in one place.
export function runGlance(entry: RunEntry) {
  const { run, jobs } = entry;
  return {
    run,
    jobs,
    active: isActive(run.status),
    progress: jobs ? runProgress(jobs) : null,
    counters: jobs ? countersOf(jobs) : null,
    note: runNote(run.status, jobs),
  };
}
