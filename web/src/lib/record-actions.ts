import type { RecordAction } from "./run-types";
import { RECORD_ACTION_WORDS } from "../../../shared/record-action-words";

// The words the job page, compare and a connection's serials use for a record's outcome.
export const RECORD_ACTION_LABEL: Record<RecordAction, string> = RECORD_ACTION_WORDS;

export const RECORD_ACTIONS = Object.keys(RECORD_ACTION_LABEL) as RecordAction[];
