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

/** The badge's tooltip: what the state means, by when the next success is due and the last one. */
export function freshnessTitle(freshness: FreshnessView): string {
  const rule = freshness.sla_minutes === null ? "from the schedule" : `SLA ${freshness.sla_minutes} min`;
  const last = freshness.last_success_at === null ? "no success yet" : `last success ${formatAbsolute(freshness.last_success_at)}`;
  return `${FRESHNESS_MEANING[freshness.state]} (${rule}). Next success due by ${formatAbsolute(freshness.expected_by)}; ${last}.`;
}
