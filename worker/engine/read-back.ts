import { DEFAULT_VERIFY_SAMPLE_PERCENT, type UpdateContract, type VerifyWrites } from "./contracts";
import { textHash } from "./payload";
import { storedDifferences, type CompiledMapping, type FieldDifference } from "./reconcile";

// Read-back verification: which written serials are read back, and what reading one back found. The caller
// fetches the record (per serial right after the write, or from one re-read of a listing) and passes it in.

export interface ReadBackPlan {
  mode: VerifyWrites;
  percent: number;
}

export function readBackPlan(update: Pick<UpdateContract, "verify_writes" | "verify_sample_percent">): ReadBackPlan {
  return { mode: update.verify_writes ?? "off", percent: update.verify_sample_percent ?? DEFAULT_VERIFY_SAMPLE_PERCENT };
}

export function verifiesWrites(plan: ReadBackPlan): boolean {
  return plan.mode !== "off";
}

// A hash of (job, serial), not a random draw: a job replayed after a crash reads back the same serials, and
// another job of the same connection samples others.
export function sampledForReadBack(plan: ReadBackPlan, jobId: string, serial: string): boolean {
  switch (plan.mode) {
    case "off":
      return false;
    case "all":
      return true;
    case "sample":
      return Number.parseInt(textHash(`${jobId}\u0000${serial}`).slice(0, 8), 16) % 100 < plan.percent;
  }
}

export interface ReadBackResult {
  verified: boolean;
  differences: FieldDifference[];
  // Why the write is a mismatch, in a sentence for the record outcome; null when verified.
  hint: string | null;
}

// `stored` null: the record was not found when read back. `missingDetail` says how it was missed.
export function compareReadBack(
  mapping: CompiledMapping,
  payload: Record<string, unknown>,
  stored: Record<string, unknown> | null,
  missingDetail?: string,
): ReadBackResult {
  const differences: FieldDifference[] = storedDifferences(mapping, payload, stored).map((d) => ({
    field: d.field,
    expected: d.sent,
    found: d.stored,
    side: "stored",
  }));
  if (stored === null) {
    const detail = missingDetail === undefined ? "" : ` (${missingDetail})`;
    return { verified: false, differences, hint: `the destination accepted the write but the record was not found when read back${detail}` };
  }
  if (differences.length === 0) return { verified: true, differences, hint: null };
  return {
    verified: false,
    differences,
    hint: `the destination accepted the write but stored a different value for ${listOf(differences.map((d) => d.field))}`,
  };
}

function listOf(names: readonly string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)!}`;
}
