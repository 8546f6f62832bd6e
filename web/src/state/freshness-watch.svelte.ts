import { untrack } from "svelte";
import { freshnessRecheckDelay } from "../lib/freshness-deadlines";
import { onRunFinished } from "./run-finishes.svelte";
import type { FreshnessView } from "../../../worker/schemas/types";
import { serverNow } from "../lib/server-clock";

/**
 * Keeps a page's connection list current for its freshness badges while the page is open: read again a moment after
 * the nearest deadline passes (a badge turns Delayed or Overdue as the server judges it then), and when a run the live
 * feed showed active finishes (its success may put a connection back On time). Call while a component initialises.
 */
export function watchFreshness(items: () => ReadonlyArray<{ freshness?: FreshnessView | null }> | null, refresh: () => void): void {
  $effect(() => {
    const shown = items();
    if (shown === null) return;
    const delay = freshnessRecheckDelay(shown, serverNow());
    if (delay === null) return;
    const timer = setTimeout(() => untrack(refresh), delay);
    return () => clearTimeout(timer);
  });

  onRunFinished(refresh);
}
