// The run ledger's and live feed's types, re-exported from the worker (type-only) so web/ imports them from one place.
export type {
  Eta,
  FieldChange,
  FieldDifference,
  JobDetail,
  JobDiagnosis,
  JobError,
  JobSummary,
  LogLine,
  LogPage,
  RecordOutcome,
  RecordOutcomePage,
  RunDetail,
  RunPage,
  RunSummary,
  logListQuerySchema,
  recordListQuerySchema,
  runListQuerySchema,
} from "../../../worker/schemas/runs";
export type { LiveMessage, LiveMessageType, LiveServerMessage, LiveClientMessage, LiveSnapshotRun } from "../../../worker/live/protocol";
export type { ActiveStatus, LogLevel, RerunScope, RunMode, RunStatus, RunTrigger, RunType, TerminalStatus } from "../../../worker/schemas/vocabulary";
export type { RecordAction } from "../../../worker/engine/reconcile";
export type { StatsResponse, ConnectionStats, DurationStats } from "../../../worker/schemas/stats";
export type { AttentionReason } from "../../../worker/stats/attention";
