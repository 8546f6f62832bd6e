import type { JobSummary, RunSummary } from "../schemas/runs";
import type { LiveUpdate } from "../live/protocol";
import { log } from "../observability/log";

// Progress for open dashboards goes to the live hubs (worker/live/publish.ts). At most one job message per
// job every LIVE_THROTTLE_MS; status changes are always sent, so a dashboard never misses one.
// Nothing here is awaited by a step: messages wait in a mailbox (the latest per run or job) that one pump
// sends in order, kept alive by `defer` (ctx.waitUntil). A hub that is down or slow delays only the feed;
// `seq` lets the hub drop a message that arrives after a newer one about the same run or job.

export const LIVE_THROTTLE_MS = 250;
// A status change that could not be delivered is tried this many times in all, this far apart.
export const LIVE_STATUS_ATTEMPTS = 3;
export const LIVE_RETRY_MS = 1_000;

export type PublishLive = (credentialId: string, message: LiveUpdate) => Promise<unknown>;
export type Defer = (work: Promise<unknown>) => void;

interface Letter {
  credentialId: string;
  message: LiveUpdate;
  status: boolean;
  attempts: number;
}

export class LivePublisher {
  private readonly lastJobPublish = new Map<string, number>();
  private readonly held = new Map<string, { credentialId: string; job: JobSummary }>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly mailbox = new Map<string, Letter>();
  private pumping: Promise<void> | null = null;
  private lastSeq = 0;

  constructor(
    private readonly publish: PublishLive,
    private readonly defer: Defer,
    private readonly now: () => number = Date.now,
  ) {}

  // force: a status change, sent at once. Progress inside the throttle window is held and the latest of it
  // sent when the window ends, so the feed is never left behind by more than LIVE_THROTTLE_MS.
  offerJob(credentialId: string, job: JobSummary, force: boolean): void {
    const last = this.lastJobPublish.get(job.id);
    const wait = force || last === undefined ? 0 : LIVE_THROTTLE_MS - (this.now() - last);
    if (wait <= 0) {
      this.held.delete(job.id);
      this.publishJob(credentialId, job, force);
      return;
    }
    this.held.set(job.id, { credentialId, job });
    if (this.timers.has(job.id)) return;
    this.timers.set(
      job.id,
      setTimeout(() => {
        this.timers.delete(job.id);
        const latest = this.held.get(job.id);
        this.held.delete(job.id);
        if (latest !== undefined) this.publishJob(latest.credentialId, latest.job, false);
      }, wait),
    );
  }

  publishRun(run: RunSummary, jobs?: JobSummary[]): void {
    const seq = this.nextSeq();
    this.post(`run:${run.id}`, run.credential_id, jobs === undefined ? { type: "run", run, seq } : { type: "run", run, jobs, seq }, true);
  }

  /** Resolves once the mailbox is empty (for tests and the bench; a step never waits for it). */
  async drained(): Promise<void> {
    while (this.pumping !== null) await this.pumping;
  }

  private publishJob(credentialId: string, job: JobSummary, status: boolean): void {
    this.lastJobPublish.set(job.id, this.now());
    this.post(`job:${job.id}`, credentialId, { type: "job", job, seq: this.nextSeq() }, status);
  }

  // Milliseconds, so a coordinator restarted after an eviction still counts on from where the last one was.
  private nextSeq(): number {
    this.lastSeq = Math.max(this.now(), this.lastSeq + 1);
    return this.lastSeq;
  }

  // A newer letter about the same run or job replaces one not yet sent; a status change is never replaced
  // by mere progress of the same job (the progress letter then carries the newer status anyway).
  private post(key: string, credentialId: string, message: LiveUpdate, status: boolean): void {
    const waiting = this.mailbox.get(key);
    this.mailbox.delete(key);
    this.mailbox.set(key, { credentialId, message, status: status || (waiting?.status ?? false), attempts: 0 });
    if (this.pumping === null) {
      this.pumping = this.pump().finally(() => {
        this.pumping = null;
      });
      this.defer(this.pumping);
    }
  }

  private async pump(): Promise<void> {
    for (let next = this.mailbox.entries().next(); !next.done; next = this.mailbox.entries().next()) {
      const [key, letter] = next.value;
      this.mailbox.delete(key);
      try {
        await this.publish(letter.credentialId, letter.message);
      } catch (error) {
        // The feed is best effort: a failed publish never fails the run. A status change is worth a retry.
        log.warn("live publish failed", { type: letter.message.type, key, error });
        if (letter.status && letter.attempts + 1 < LIVE_STATUS_ATTEMPTS && !this.mailbox.has(key)) {
          await new Promise((resolve) => setTimeout(resolve, LIVE_RETRY_MS));
          if (!this.mailbox.has(key)) this.mailbox.set(key, { ...letter, attempts: letter.attempts + 1 });
        }
      }
    }
  }
}
