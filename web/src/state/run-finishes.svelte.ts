import { untrack } from "svelte";
import { runs } from "./runs.svelte";

/** Calls `refresh` whenever a run the live feed showed active finishes. Call while a component initialises. */
export function onRunFinished(refresh: () => void): void {
  let active: ReadonlySet<string> | null = null;
  $effect(() => {
    const now = new Set(runs.activeIds);
    const finished = active !== null && [...active].some((id) => !now.has(id));
    active = now;
    if (finished) untrack(refresh);
  });
}
