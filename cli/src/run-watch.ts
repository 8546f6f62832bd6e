import { answer, ApiRequestError, ApiUnreachableError, type Schemas } from "./api-client";
import type { CommandContext } from "./command";
import { EXIT, type ExitCode } from "./exit-codes";
import { jobProgress, runDetailText, runStatusText } from "./run-views";
import { isTerminal, type RunStatus } from "./words";

type RunDetail = Schemas["RunDetail"];

export interface WatchOptions {
  intervalMs: number;
  // Give up after this long, the API's answers included; undefined waits as long as the run takes.
  timeoutMs?: number;
  // A completed run with more failed records than this exits EXIT.recordsFailed; undefined: completed is success.
  maxFailedRecords?: number;
}

// A poll that fails this many times in a row ends the watch: one lost answer should not fail a CI step.
const TOLERATED_FAILED_POLLS = 3;

export const EXIT_OF_STATUS: Record<RunStatus, ExitCode> = {
  pending: EXIT.watchTimedOut,
  running: EXIT.watchTimedOut,
  completed: EXIT.ok,
  failed: EXIT.runFailed,
  canceled: EXIT.runCanceled,
};

/** Polls the run until it ends, printing each change of a job's status or progress; the exit status follows the run's. */
export async function watchRun(context: CommandContext, runId: string, options: WatchOptions): Promise<number> {
  const { io } = context;
  const seen = new Map<string, string>();
  const now = io.now ?? (() => performance.now());
  const started = now();
  const elapsed = () => now() - started;
  const timedOut = () => options.timeoutMs !== undefined && elapsed() >= options.timeoutMs;
  // The last wait ends at the timeout, not an interval past it.
  const pause = () => io.sleep(options.timeoutMs === undefined ? options.intervalMs : Math.max(0, Math.min(options.intervalMs, options.timeoutMs - elapsed())));
  let failedPolls = 0;
  for (;;) {
    let run: RunDetail;
    try {
      run = await answer(context.api().GET("/api/runs/{id}", { params: { path: { id: runId } } }));
      failedPolls = 0;
    } catch (error) {
      const transient = error instanceof ApiUnreachableError || (error instanceof ApiRequestError && error.status >= 500);
      if (!transient || ++failedPolls >= TOLERATED_FAILED_POLLS) throw error;
      await pause();
      continue;
    }
    if (!context.json) printChanges(context, run, seen);
    if (isTerminal(run.status) || timedOut()) {
      if (context.json) io.stdout(JSON.stringify(run, null, 2) + "\n");
      else io.stdout("\n" + runDetailText(run, context.url));
      if (!isTerminal(run.status)) io.stderr(`Run ${run.id} is still ${run.status} after ${Math.round(elapsed() / 1000)} s.\n`);
      if (run.status === "completed" && options.maxFailedRecords !== undefined && run.failed_records > options.maxFailedRecords) {
        const failed = `${run.failed_records} failed ${run.failed_records === 1 ? "record" : "records"}`;
        io.stderr(`Run ${run.id} completed with ${failed}, more than --max-failed-records ${options.maxFailedRecords} allows.\n`);
        return EXIT.recordsFailed;
      }
      return EXIT_OF_STATUS[run.status];
    }
    await pause();
  }
}

function printChanges(context: CommandContext, run: RunDetail, seen: Map<string, string>): void {
  const lines: [string, string][] = [[run.id, `Run ${run.id}: ${runStatusText(run)}`]];
  for (const job of run.jobs) {
    // "0 of 0 processed" after a live sync is the cursor at work: say so, as the dashboard does.
    const unchanged = job.diagnoses.some((diagnosis) => diagnosis.code === "nothing_changed") ? `, nothing changed since ${job.incremental_since}` : "";
    lines.push([job.id, `  ${job.connection_name}: ${runStatusText(job)}, ${jobProgress(job)} processed, ${job.failed} failed${unchanged}`]);
  }
  for (const [key, line] of lines) {
    if (seen.get(key) === line) continue;
    seen.set(key, line);
    context.io.stdout(line + "\n");
  }
}
