import { formatCount, formatShortAbsolute } from "./format";
import type { LiveEstimate } from "../state/dashboard.svelte";

export interface LiveConfirmation {
  // What the last dry run of this scope found; never more than it found.
  headline: string;
  detail: string;
}

const FIRST_DRY = "Run a Dry run of the same scope first to see what would change.";

function records(n: number): string {
  return `${formatCount(n)} ${n === 1 ? "record" : "records"}`;
}

export function liveConfirmation(estimate: LiveEstimate): LiveConfirmation {
  const { from, wouldUpdate } = estimate;
  if (from === null) {
    return {
      headline: "There is no dry run of this scope yet, so what this run would write is not known.",
      detail: "The recommended order is Single + Dry, Single + Live, Full + Dry, then Full + Live.",
    };
  }
  const when = formatShortAbsolute(from.created_at);
  if (wouldUpdate === null || wouldUpdate.length === 0) {
    const scope = estimate.inScope === null ? "" : ` The last run (${when}) had ${records(estimate.inScope)} in scope.`;
    return { headline: "There is no dry run of this scope yet, so what this run would write is not known.", detail: `${FIRST_DRY}${scope}` };
  }
  const least = Math.min(...wouldUpdate);
  const most = Math.max(...wouldUpdate);
  const count = wouldUpdate.length;
  const headline =
    least === most
      ? `The last dry run found ${records(most)} to update${count > 1 ? ` on each of its ${count} connections` : ""}.`
      : `The last dry run found ${formatCount(least)}–${records(most)} to update across its ${count} connections.`;
  const note = estimate.note ? ` ${estimate.note.label}: ${estimate.note.message}.` : "";
  const nothing = most === 0 ? " Unless something changed since, this live run writes nothing." : "";
  return { headline, detail: `Dry run of ${when}.${note}${nothing}` };
}
