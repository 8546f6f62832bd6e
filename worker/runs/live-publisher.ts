import type { JobSummary, RunSummary } from "../schemas/runs";
import type { LiveUpdate } from "../live/protocol";

// Progress for open dashboards goes through the LiveHub. At most one job message per job every
// LIVE_THROTTLE_MS; status changes are always sent, so a dashboard never misses one.

export const LIVE_THROTTLE_MS = 250;

export type PublishLive = (message: LiveUpdate) => Promise<unknown>;

export class LivePublisher {
  private readonly lastJobPublish = new Map<string, number>();
  private readonly held = new Map<string, JobSummary>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly publish: PublishLive,
    private readonly now: () => number = Date.now,
  ) {}

  // force: a status change, sent at once. Progress inside the throttle window is held and the latest of it
  // sent when the window ends, so the feed is never left behind by more than LIVE_THROTTLE_MS.
  async offerJob(job: JobSummary, force: boolean): Promise<void> {
    const last = this.lastJobPublish.get(job.id);
    const wait = force || last === undefined ? 0 : LIVE_THROTTLE_MS - (this.now() - last);
    if (wait <= 0) {
      this.held.delete(job.id);
      await this.publishJob(job);
      return;
    }
    this.held.set(job.id, job);
    if (this.timers.has(job.id)) return;
    this.timers.set(
      job.id,
      setTimeout(() => {
        this.timers.delete(job.id);
        const latest = this.held.get(job.id);
        this.held.delete(job.id);
        if (latest !== undefined) void this.publishJob(latest);
      }, wait),
    );
  }

  private async publishJob(job: JobSummary): Promise<void> {
    this.lastJobPublish.set(job.id, this.now());
    await this.send({ type: "job", job });
  }

  async publishRun(run: RunSummary, jobs?: JobSummary[]): Promise<void> {
    await this.send(jobs === undefined ? { type: "run", run } : { type: "run", run, jobs });
  }

  // The feed is best effort: a failed publish must never fail the run it reports on.
  private async send(message: LiveUpdate): Promise<void> {
    try {
      await this.publish(message);
    } catch (error) {
      console.warn("live publish failed", message.type, error);
    }
  }
}
