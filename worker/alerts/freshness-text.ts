import type { Freshness } from "../schedule/freshness";
import { durationText } from "../stats/duration-text";
import { assertNever } from "../../shared/lang";

// What a freshness alert says it found, in one line, and what to check first.
export const FRESHNESS_HINT =
  "Check that the scheduler is alive (System status) and open this connection's latest runs: a run that failed, was canceled or is still waiting behind its credential's other runs holds back the next success.";

export function freshnessSummary(freshness: Freshness | null, now: number): string {
  if (freshness === null) return "No success is expected any more: the connection is disabled, paused, unscheduled or deleted.";
  const last =
    freshness.lastSuccessAt === null
      ? "No successful run yet"
      : `No successful run since ${utc(freshness.lastSuccessAt)} (${durationText(now - freshness.lastSuccessAt)} ago)`;
  const promise = freshness.slaMinutes === null ? "from the schedule" : `SLA ${freshness.slaMinutes} min`;
  switch (freshness.state) {
    case "on_time":
      return freshness.lastSuccessAt === null
        ? `On time again; the next success is due by ${utc(freshness.expectedBy)} (${promise}).`
        : `On time again: successful run at ${utc(freshness.lastSuccessAt)}; the next is due by ${utc(freshness.expectedBy)} (${promise}).`;
    case "delayed":
      return `Delayed: ${lowerFirst(last)}; one was due by ${utc(freshness.expectedBy)} (${promise}).`;
    case "overdue":
      return `Overdue: ${lowerFirst(last)}; two expected successes are missing, the first was due by ${utc(freshness.expectedBy)} (${promise}).`;
    default:
      return assertNever(freshness.state);
  }
}

function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
