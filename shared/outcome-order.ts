// The record actions worst first: failures and gaps before what went well. The dashboard's Serials section and the
// CLI count a connection's serials per action in this order (a test checks it names every action once).
export const ACTIONS_WORST_FIRST = [
  "failed",
  "verify_mismatch",
  "drifted",
  "missing_destination",
  "missing_source",
  "would_update",
  "updated",
  "verified",
  "skipped_rule",
  "skipped_no_change",
] as const;
