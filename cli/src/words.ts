import type { components } from "../generated/api-types";
import { keysOf } from "../../shared/lang";
import { RECORD_ACTION_WORDS } from "../../shared/record-action-words";

// The dashboard's words for statuses and outcomes (web/src/lib/statuses.ts, the Records tab), keyed by the API's own
// enums: a value the API adds fails to compile here until it has a word.
type Schemas = components["schemas"];
export type RunStatus = Schemas["RunStatus"];
export type RecordAction = Schemas["RecordAction"];
export type LogLevel = Schemas["LogLevel"];

export const STATUS_WORD: Record<RunStatus, string> = {
  pending: "Pending",
  running: "Running",
  completed: "Completed",
  failed: "Failed",
  canceled: "Canceled",
};
export const RUN_STATUSES = keysOf(STATUS_WORD);

const TERMINAL: Record<RunStatus, boolean> = { pending: false, running: false, completed: true, failed: true, canceled: true };
export const isTerminal = (status: RunStatus): boolean => TERMINAL[status];

export const ACTION_WORD: Record<RecordAction, string> = RECORD_ACTION_WORDS;
export const RECORD_ACTIONS = keysOf(ACTION_WORD);

const LEVEL_ORDER: Record<LogLevel, number> = { ERROR: 0, WARN: 1, INFO: 2, DEBUG: 3 };
export const LOG_LEVELS = keysOf(LEVEL_ORDER);

// A connection's freshness (web/src/lib/freshness-words.ts).
export const FRESHNESS_WORD: Record<NonNullable<Schemas["Freshness"]>["state"], string> = {
  on_time: "On time",
  delayed: "Delayed",
  overdue: "Overdue",
};

export const RUN_TYPES = ["full", "single"] as const satisfies readonly Schemas["RunType"][];
export const RUN_MODES = ["dry", "live"] as const satisfies readonly Schemas["RunMode"][];
export const RERUN_SCOPES = ["failed", "all"] as const satisfies readonly Schemas["RerunRequest"]["scope"][];
export const ROLES = ["viewer", "operator", "admin"] as const satisfies readonly Schemas["CreateApiTokenRequest"]["role"][];
