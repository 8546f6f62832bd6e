import { assertNever } from "../../../shared/lang";
import type { FieldDifference, RecordAction } from "./run-types";

// A record's `differences` in the dashboard's words: "field: expected → found", which side holds the found value,
// and the hint a Verify Mismatch or a Drifted serial carries.

export type DifferenceSide = FieldDifference["side"];

export const SIDE_WORDS: Record<DifferenceSide, string> = {
  stored: "the destination stored",
  destination: "changed in the destination since the plan",
  source: "changed in the source since the plan",
};

export function valueText(input: unknown): string {
  if (input === null || input === undefined) return "∅";
  return typeof input === "string" ? input : JSON.stringify(input);
}

// "a", "a and b", "a, b and c".
export function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? "";
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

function fieldsOn(differences: readonly FieldDifference[], side: DifferenceSide): string[] {
  return [...new Set(differences.filter((difference) => difference.side === side).map((difference) => difference.field))];
}

export function differenceHint(action: RecordAction, differences: readonly FieldDifference[] | null | undefined): string | null {
  const list = differences ?? [];
  switch (action) {
    case "verify_mismatch": {
      const fields = fieldsOn(list, "stored");
      return fields.length === 0
        ? "The destination accepted the write but did not store what was sent."
        : `The destination accepted the write but stored a different value for ${listWords(fields)}.`;
    }
    case "drifted": {
      const changed = (["destination", "source"] as const)
        .map((side) => ({ side, fields: fieldsOn(list, side) }))
        .filter((entry) => entry.fields.length > 0)
        .map((entry) => `${listWords(entry.fields)} ${SIDE_WORDS[entry.side]}`);
      const what = changed.length === 0 ? "the record changed since the plan" : changed.join("; ");
      return `Not written: ${what}. Run a new dry run to plan it again.`;
    }
    case "would_update":
    case "updated":
    case "verified":
    case "skipped_rule":
    case "skipped_no_change":
    case "missing_source":
    case "missing_destination":
    case "failed":
      return null;
    default:
      return assertNever(action);
  }
}
