import { formatAbsolute } from "./time";
import type { FreshnessState, FreshnessView } from "../../../worker/schemas/types";

export const FRESHNESS_LABEL: Record<FreshnessState, string> = {
  on_time: "On time",
  delayed: "Delayed",
  overdue: "Overdue",
};

const FRESHNESS_MEANING: Record<FreshnessState, string> = {
  on_time: "The last expected success arrived",
  delayed: "One expected success is missing",
  overdue: "Two expected successes are missing",
};

/**
 * The state now, from the one the server judged and its deadlines: a page left open turns Delayed and then Overdue
 * as the deadlines pass, without a reload. It never turns back by itself; a success arrives with new data.
 */
export function freshnessStateAt(freshness: FreshnessView, now: number): FreshnessState {
  if (freshness.state === "overdue" || now > Date.parse(freshness.overdue_at)) return "overdue";
  if (freshness.state === "delayed" || now > Date.parse(freshness.expected_by)) return "delayed";
  return "on_time";
}

/** The badge's tooltip: what the state means, by when the next success is due and the last one. */
export function freshnessTitle(freshness: FreshnessView, state: FreshnessState = freshness.state): string {
  const rule = freshness.sla_minutes === null ? "from the schedule" : `SLA ${freshness.sla_minutes} min`;
  const last = freshness.last_success_at === null ? "no success yet" : `last success ${formatAbsolute(freshness.last_success_at)}`;
  return `${FRESHNESS_MEANING[state]} (${rule}). Next success due by ${formatAbsolute(freshness.expected_by)}; ${last}.`;
}
