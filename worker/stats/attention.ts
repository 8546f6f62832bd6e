// Why a connection is listed as without a sync since a time. A success is a completed live job (a dry run
// writes nothing); a connection that never ran is new, not failing.
export const ATTENTION_REASONS = ["not_run_yet", "never_succeeded", "no_success_since"] as const;
export type AttentionReason = (typeof ATTENTION_REASONS)[number];

export interface AttentionFacts {
  last_run_at: number | null;
  last_success_at: number | null;
}

export function attentionReason(row: AttentionFacts): AttentionReason {
  if (row.last_success_at !== null) return "no_success_since";
  return row.last_run_at === null ? "not_run_yet" : "never_succeeded";
}

// The words the MCP tool answers with; the dashboard says the same in its own sentences.
export const ATTENTION_TEXT: Record<AttentionReason, string> = {
  not_run_yet: "not run yet",
  never_succeeded: "never succeeded (no completed live job; dry runs do not count)",
  no_success_since: "no live success since",
};
