import type { RecordAction } from "./run-types";

// The words the job page, compare and a connection's serials use for a record's outcome.
export const RECORD_ACTION_LABEL: Record<RecordAction, string> = {
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
};

export const RECORD_ACTIONS = Object.keys(RECORD_ACTION_LABEL) as RecordAction[];
