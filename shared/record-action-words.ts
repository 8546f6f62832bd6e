// The word for each record action, as the dashboard (the Records tab, a connection's serials) and the CLI say it.
// Each side types it against its own RecordAction, so an action without a word fails to compile there.
export const RECORD_ACTION_WORDS = {
  would_update: "Would Update",
  updated: "Updated",
  skipped_rule: "Skipped (rule)",
  skipped_no_change: "Skipped (no change)",
  missing_source: "Missing Source",
  missing_destination: "Missing Destination",
  failed: "Failed",
  drifted: "Drifted",
  verified: "Verified",
  verify_mismatch: "Verify Mismatch",
} as const;
