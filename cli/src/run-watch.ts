import { answer, ApiRequestError, ApiUnreachableError, type Schemas } from "./api-client";
import type { CommandContext } from "./command";
import type { LiveSocket } from "./io";
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
// A live update about the run asks the API at once, but polls stay this far apart however fast updates come
// (progress is published at every checkpoint).
const MIN_POLL_SPACING_MS = 250;

export const EXIT_OF_STATUS: Record<RunStatus, ExitCode> = {
  pending: EXIT.watchTimedOut,
  running: EXIT.watchTimedOut,
  completed: EXIT.ok,
  failed: EXIT.runFailed,
  canceled: EXIT.runCanceled,
};

/**
 * Polls the run until it ends, printing each change of a job's status or progress; the exit status follows the run's.
 * The run's credential feed (GET /api/live) wakes it as soon as the run or a job changes; the answer printed is still
 * the API's, and without the feed (no WebSocket, refused, closed) it polls every interval.
 */
export async function watchRun(context: CommandContext, runId: string, options: WatchOptions): Promise<number> {
  const feed = new RunFeed(context, runId);
  try {
    return await watch(context, runId, options, feed);
  } finally {
    feed.close();
  }
}

async function watch(context: CommandContext, runId: string, options: WatchOptions, feed: RunFeed): Promise<number> {
  const { io } = context;
  const seen = new Map<string, string>();
  const now = io.now ?? (() => performance.now());
  const started = now();
  const elapsed = () => now() - started;
  const timedOut = () => options.timeoutMs !== undefined && elapsed() >= options.timeoutMs;
  const { bell } = feed;
  let lastPoll = now();
  const pause = async () => {
    // The last wait ends at the timeout, not an interval past it.
    const longest = options.timeoutMs === undefined ? options.intervalMs : Math.max(0, Math.min(options.intervalMs, options.timeoutMs - elapsed()));
    const done = new AbortController();
    const rang = await Promise.race([io.sleep(longest, done.signal).then(() => false), bell.next(done.signal)]);
    done.abort();
    const spacing = Math.min(MIN_POLL_SPACING_MS - (now() - lastPoll), longest);
    if (rang && spacing > 0) await io.sleep(spacing);
  };
  let failedPolls = 0;
  for (;;) {
    let run: RunDetail;
    try {
      lastPoll = now();
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
    feed.follow(run.credential_id);
    await pause();
  }
}

// Rung by live updates; a watch waits on it beside its interval.
class Doorbell {
  #rung = false;
  #wake: (() => void) | null = null;

  ring(): void {
    this.#rung = true;
    this.#wake?.();
  }

  /** True at the next ring (at once when one came since the last call); false when the signal aborts first. */
  next(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const settle = (rang: boolean) => {
        this.#wake = null;
        signal.removeEventListener("abort", stop);
        if (rang) this.#rung = false;
        resolve(rang);
      };
      const stop = () => settle(false);
      if (this.#rung) return settle(true);
      this.#wake = () => settle(true);
      signal.addEventListener("abort", stop, { once: true });
    });
  }
}

// The run's credential feed, opened once the run's credential is known (one try: without it the watch polls). It
// rings for every message about this run: its own row, one of its jobs, and each snapshot (sent on connect: the
// run may have ended meanwhile). Messages about the credential's other runs are not the watch's business.
class RunFeed {
  readonly bell = new Doorbell();
  #socket: LiveSocket | null = null;
  #tried = false;

  constructor(
    private readonly context: CommandContext,
    private readonly runId: string,
  ) {}

  follow(credentialId: string): void {
    if (this.#tried) return;
    this.#tried = true;
    this.#socket = this.context.liveFeed(credentialId);
    this.#socket?.addEventListener("message", ({ data }) => {
      let message: { type?: unknown; run?: { id?: unknown }; job?: { run_id?: unknown } };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch {
        return;
      }
      if (message.type === "snapshot" || message.run?.id === this.runId || message.job?.run_id === this.runId) this.bell.ring();
    });
  }

  close(): void {
    this.#socket?.close();
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
