import { enqueueAlertEvents } from "../alerts/alert-queue";
import type { Env } from "../env";
import { readTickContext, recordTicksWithRuns, tickKey, type TickKey, type TicksCommit } from "../ledger/schedule-ticks";
import { promotedRunStart, type PromotedRunStart } from "../runs/promoted-run-start";
import { coordinatorFor } from "../runs/run-service";
import { planTicks, type TickPlan } from "./plan-ticks";
import { isTickMessage } from "./tick-messages";
import { log } from "../observability/log";

// A tick recorded by a concurrent consumer fails our batch; a few fresh reads settle who took what.
const MAX_ATTEMPTS = 4;

export interface ConsumeReport {
  ticks: number;
  started: number;
  skipped: number;
  runs: number;
  promoted: number;
}

/**
 * Consumes a batch of the schedule queue. Each tick is recorded together with the run it starts in one D1
 * batch, so a tick redelivered (or enqueued twice) finds its row and starts nothing, and a consumer dying
 * before the batch leaves the tick unrecorded for the redelivery or the next minute's catch-up. New runs
 * wait as pending; each one that is its credential's oldest pending run with nothing running starts at once.
 */
export async function consumeScheduleTicks(batch: MessageBatch<unknown>, env: Env, now: () => number = Date.now): Promise<ConsumeReport> {
  const ticks = new Map<string, TickKey>();
  for (const message of batch.messages) {
    if (!isTickMessage(message.body)) {
      log.error("schedule queue: dropping a message that is not a tick message", { message_id: message.id });
      continue;
    }
    for (const tick of message.body.ticks) ticks.set(tickKey(tick), { connectionId: tick.connectionId, dueAt: tick.dueAt });
  }
  const report: ConsumeReport = { ticks: ticks.size, started: 0, skipped: 0, runs: 0, promoted: 0 };
  if (ticks.size > 0) {
    const { plan, promoted, eventIds, at } = await commitTicks(env.LEDGER, [...ticks.values()], now);
    report.started = plan.ticks.filter((tick) => tick.outcome === "started").length;
    report.skipped = plan.ticks.length - report.started;
    report.runs = plan.runs.length;
    report.promoted = promoted.length;
    // The starts and the new runs' events on the alerts queue go side by side: the batch waits for the slower.
    // Enqueueing never throws; events it could not send are swept onto the queue by the minute trigger.
    await Promise.all([startPromoted(env, promotedStarts(plan, promoted, at)), enqueueAlertEvents(env, eventIds)]);
  }
  batch.ackAll();
  return report;
}

// The promoted runs as this batch wrote them (promoted at `at`), so their coordinators need not read them back.
function promotedStarts(plan: TickPlan, promoted: readonly string[], at: number): PromotedRunStart[] {
  const ids = new Set(promoted);
  return plan.runs.filter(({ run }) => ids.has(run.id)).map(({ run, jobs }) => promotedRunStart(run, jobs, at));
}

// Start is idempotent and the minute trigger nudges running runs, so a failed start here is retried there.
async function startPromoted(env: Env, starts: readonly PromotedRunStart[]): Promise<void> {
  const results = await Promise.allSettled(starts.map((start) => coordinatorFor(env, start.plan.run_id).startPromoted(start)));
  for (const [index, result] of results.entries()) {
    if (result.status === "rejected")
      log.error("scheduled run promoted but its coordinator did not start", { run_id: starts[index]?.plan.run_id, error: result.reason });
  }
}

async function commitTicks(db: D1Database, ticks: TickKey[], now: () => number): Promise<TicksCommit & { plan: TickPlan; at: number }> {
  for (let attempt = 1; ; attempt++) {
    const context = await readTickContext(db, ticks);
    const at = now();
    const plan = planTicks(ticks, context, at);
    if (plan.ticks.length === 0) return { plan, promoted: [], eventIds: [], at };
    const committed = await recordTicksWithRuns(db, plan.ticks, plan.runs, at);
    if (committed !== "taken") return { plan, ...committed, at };
    if (attempt === MAX_ATTEMPTS) throw new Error(`schedule ticks still taken by other consumers after ${MAX_ATTEMPTS} attempts`);
  }
}
