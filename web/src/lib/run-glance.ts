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
    // Held back by a destination breaker: its jobs say so once the folder or the live feed has them (they change as
    // the breaker does), the run list's own field before that.
    waiting: !isActive(run.status) ? null : jobs ? (jobs.find((job) => job.waiting !== null)?.waiting ?? null) : (run.waiting ?? null),
  };
}
