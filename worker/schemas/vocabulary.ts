// The words runs, jobs and logs are described with, declared once: the ledger, the coordinator, the API schemas
// and (type-only) the web all import them from here. Record actions stay in the engine, which decides them.

// Lifecycle order: what a dashboard lists and a filter offers.
export const RUN_STATUSES = ["pending", "running", "completed", "failed", "canceled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type JobStatus = RunStatus;

export const TERMINAL_STATUS = {
  pending: false,
  running: false,
  completed: true,
  failed: true,
  canceled: true,
} as const satisfies Record<RunStatus, boolean>;
export type TerminalStatus = { [S in RunStatus]: (typeof TERMINAL_STATUS)[S] extends true ? S : never }[RunStatus];
export type ActiveStatus = Exclude<RunStatus, TerminalStatus>;
export const TERMINAL_STATUSES = RUN_STATUSES.filter((status): status is TerminalStatus => TERMINAL_STATUS[status]);
export const ACTIVE_STATUSES = RUN_STATUSES.filter((status): status is ActiveStatus => !TERMINAL_STATUS[status]);

export const RUN_TYPES = ["full", "single"] as const;
export type RunType = (typeof RUN_TYPES)[number];

export const RUN_MODES = ["dry", "live"] as const;
export type RunMode = (typeof RUN_MODES)[number];

export const RUN_TRIGGERS = ["manual", "schedule", "api", "rerun"] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

// A rerun repeats the failed connections of a run, or all of them.
export const RERUN_SCOPES = ["failed", "all"] as const;
export type RerunScope = (typeof RERUN_SCOPES)[number];

// The levels the logs table's CHECK constraint allows, in the order a reader ranks them.
export const LOG_LEVELS = ["ERROR", "WARN", "INFO", "DEBUG"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
