import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { readBreaker, runIdsWaitingOn, saveBreaker } from "../ledger/destination-breakers";
import { commitBreakerAlert } from "./breaker-alerts";
import { admit, breakerOf, closedBreaker, reportTally, type Admission, type Breaker, type BreakerRecord, type HostTally, type Step } from "./breaker-state";
import { log } from "../observability/log";

// Runs woken at once when the breaker closes; any others look again at their own next probe time.
const WAKE_LIMIT = 500;

/**
 * One instance per destination host (idFromName(host)): every coordinator sending to the host asks it before a
 * slice and reports the slice's tally after, so failures are counted across connections without a D1 write per
 * request. Counts live in memory; the state is written to D1 (destination_breakers) at each transition only,
 * which is where it is read back from after an eviction.
 */
export class DestinationBreaker extends DurableObject<Env> {
  private breaker: Breaker | null = null;
  // Whether D1 has a row for this host (it gets one at the first transition).
  private stored = false;
  // Calls are taken one at a time: a transition's D1 write must land before the next call sees the new state.
  private queue: Promise<unknown> = Promise.resolve();
  // Tests move this breaker's clock forward instead of waiting for a probe time.
  private clockOffsetMs = 0;

  async admit(host: string, runId: string): Promise<Admission> {
    return this.serially(async () => {
      const step = admit(await this.load(host), runId, this.now());
      await this.apply(step);
      return step.admission;
    });
  }

  async report(host: string, runId: string, tally: HostTally): Promise<void> {
    await this.serially(async () => this.apply(reportTally(await this.load(host), tally, runId, this.now())));
  }

  // An operator's reset: closed at once, the incident resolved and the waiting runs woken. null: no breaker.
  async reset(host: string): Promise<BreakerRecord | null> {
    return this.serially(async () => {
      const breaker = await this.load(host);
      if (!this.stored) return null;
      if (breaker.record.state === "closed") return breaker.record;
      const closed = closedBreaker(host, this.now(), breaker.record);
      await this.apply({ breaker: closed, change: "closed" });
      return closed.record;
    });
  }

  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  // A host never seen is closed with no row yet: the first transition writes it.
  private async load(host: string): Promise<Breaker> {
    if (this.breaker !== null) return this.breaker;
    const row = await readBreaker(this.env.LEDGER, host);
    this.stored = row !== null;
    this.breaker = row === null ? closedBreaker(host, this.now()) : breakerOf(row, this.now());
    return this.breaker;
  }

  private async apply(step: Step): Promise<void> {
    if (step.change === "none") {
      this.breaker = step.breaker;
      return;
    }
    const { record } = step.breaker;
    await saveBreaker(this.env.LEDGER, record);
    this.stored = true;
    this.breaker = step.breaker;
    if (step.change === "opened" || step.change === "closed") await this.alert(record, step.change);
    if (step.change === "closed") this.ctx.waitUntil(this.wakeWaiting(record.host));
  }

  // The breaker's state stands whatever happens to its alert: a lost notification must not keep runs waiting.
  private async alert(record: BreakerRecord, change: "opened" | "closed"): Promise<void> {
    try {
      await commitBreakerAlert(this.env, record, change, record.updated_at);
    } catch (error) {
      log.error("could not record a destination_down alert", { host: record.host, change, error });
    }
  }

  private async wakeWaiting(host: string): Promise<void> {
    try {
      const runIds = await runIdsWaitingOn(this.env.LEDGER, host, WAKE_LIMIT);
      await Promise.all(runIds.map((runId) => this.env.RUN_COORDINATOR.get(this.env.RUN_COORDINATOR.idFromName(runId)).wake()));
    } catch (error) {
      log.error("could not wake the runs waiting on a host; they look again at their next probe time", { host, error });
    }
  }
}
