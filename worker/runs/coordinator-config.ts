import { errorMessage } from "../../shared/lang";

// How the RunCoordinator paces a run. A slice is one alarm invocation, bounded well inside the Workers Paid limits
// (developers.cloudflare.com/workers/platform/limits: 10,000 subrequests per request, each alarm invocation being
// one, and 30 s of CPU by default; durable-objects/platform/limits: the same for a Durable Object), and large, so
// the pool of requests rarely drains at a slice's end. Production uses the defaults; the optional
// COORDINATOR_TUNING var (a JSON object of overrides) changes them, which is how the worker tests drive runs step by step.
export interface CoordinatorConfig {
  sliceRecords: number;
  sliceSubrequests: number;
  sliceWallMs: number;
  // Pause between slices; tests make it long and drive every alarm themselves.
  sliceGapMs: number;
  // If an invocation dies mid-slice, this alarm (set before the work) resumes the run.
  watchdogMs: number;
  // A failed step is retried after retryDelayMs, doubling per failure in a row up to maxRetryDelayMs.
  retryDelayMs: number;
  maxRetryDelayMs: number;
  // Finished records are checkpointed in batches of this size (and at the end of every slice), or sooner with the
  // next group of write intents, whose storage commit they share, or after this long, so open dashboards see a
  // long slice's progress as it runs.
  checkpointEvery: number;
  checkpointEveryMs: number;
  // Live single writes: records prepared ahead of the requests, so write intents are journaled in groups of about
  // half this many (one storage commit, which holds every outgoing request until durable, per group, not per record).
  writeAhead: number;
  // Dataset records read from D1 into the queue at a time.
  sourceBatchRecords: number;
  // The outbox goes to D1 when it holds this many outcomes or its oldest entry is this old, and at every
  // status change: a few statements per thousand records, and the ledger never more than seconds behind.
  flushEveryRecords: number;
  flushEveryMs: number;
  failureStreakLimit: number;
  failureLogLimit: number;
  eventLogLimit: number;
  // Exceptions (changed, failed, missing outcomes) of a job kept as rows of D1 for queries across jobs;
  // the rest, like every other outcome, only in the R2 archive.
  exceptionsPerJob: number;
  // Rows of a finished run's coordinator storage deleted per alarm before the storage is released.
  releaseBatchRows: number;
}

export const DEFAULT_COORDINATOR_CONFIG: Readonly<CoordinatorConfig> = Object.freeze({
  // Half the subrequests of an invocation: D1, R2 and Durable Object calls, token refreshes, retries and the
  // records prepared ahead when the budget runs out fit in the rest.
  sliceRecords: 5_000,
  sliceSubrequests: 5_000,
  sliceWallMs: 20_000,
  sliceGapMs: 0,
  // Longer than a slice: an alarm handler is not run again while it runs, and this only matters if it died.
  watchdogMs: 60_000,
  retryDelayMs: 2_000,
  maxRetryDelayMs: 60_000,
  checkpointEvery: 500,
  checkpointEveryMs: 250,
  writeAhead: 128,
  sourceBatchRecords: 5_000,
  flushEveryRecords: 5_000,
  flushEveryMs: 2_000,
  failureStreakLimit: 25,
  failureLogLimit: 50,
  eventLogLimit: 20,
  exceptionsPerJob: 1_000,
  releaseBatchRows: 5_000,
});

// A setting that is not a whole number ≥ 0 (or ≥ 1 where 0 would stall a run) is refused rather than guessed.
const AT_LEAST_ONE: ReadonlySet<keyof CoordinatorConfig> = new Set([
  "sliceRecords",
  "sliceSubrequests",
  "checkpointEvery",
  "sourceBatchRecords",
  "flushEveryRecords",
  "failureStreakLimit",
  "releaseBatchRows",
]);

export function coordinatorConfig(vars: { COORDINATOR_TUNING?: string }): CoordinatorConfig {
  const raw = vars.COORDINATOR_TUNING;
  if (raw === undefined || raw.trim() === "") return { ...DEFAULT_COORDINATOR_CONFIG };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new Error(`COORDINATOR_TUNING is not JSON: ${errorMessage(error)}`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error("COORDINATOR_TUNING must be a JSON object of settings");
  }
  return withTuning(DEFAULT_COORDINATOR_CONFIG, parsed as Record<string, unknown>);
}

// The settings given, checked, over a base config; the base is left as it is.
export function withTuning(base: Readonly<CoordinatorConfig>, changes: Readonly<Record<string, unknown>>): CoordinatorConfig {
  const config = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (!(key in DEFAULT_COORDINATOR_CONFIG)) throw new Error(`COORDINATOR_TUNING: unknown setting "${key}"`);
    const name = key as keyof CoordinatorConfig;
    const least = AT_LEAST_ONE.has(name) ? 1 : 0;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < least) {
      throw new Error(`COORDINATOR_TUNING: ${key} must be a whole number of at least ${least}, not ${JSON.stringify(value)}`);
    }
    config[name] = value;
  }
  return config;
}

export function stepRetryDelay(failuresInARow: number, config: Pick<CoordinatorConfig, "retryDelayMs" | "maxRetryDelayMs">): number {
  const doubled = config.retryDelayMs * 2 ** Math.max(0, failuresInARow - 1);
  return Math.min(doubled, Math.max(config.retryDelayMs, config.maxRetryDelayMs));
}
