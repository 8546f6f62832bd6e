import type { Env } from "../env";
import { commitFanOut, consecutiveFailures, hasUndispatchedEvents, loadEventContext, loadFanOutTargets, readUndispatchedEvents } from "../ledger/alerts-outbox";
import { dueDeliveries, nextDeliveryDueAt, recordAttempt, type DueDelivery } from "../ledger/alerts-deliveries";
import { newId } from "../ledger/ids";
import { planFanOut, type FanOutChannel, type FanOutRule, type OutboxEvent } from "./fan-out";
import type { RateGate } from "./rate-gate";
import { renderMessage } from "./render";
import { publicUrl, resolveChannel } from "./resolve-channel";
import { nextStep } from "./retry-schedule";
import { describeError, type AttemptResult } from "./send-http";
import { sendMessage } from "./send-message";

export interface DispatchPassOptions {
  env: Env;
  fetch: typeof fetch;
  gate: RateGate;
  now?: () => number;
  // Wall time one pass may use before it hands over to the next alarm.
  budgetMs?: number;
}

const EVENTS_PER_READ = 50;
const DELIVERIES_PER_READ = 25;
const DEFAULT_BUDGET_MS = 60_000;
const MAX_THRESHOLD = 100;

/**
 * One round of the dispatcher: fan out every undispatched event, then attempt every due delivery.
 * Returns when the next pass should run (null: nothing is waiting; the minute cron still checks).
 */
export async function runDispatchPass(options: DispatchPassOptions): Promise<number | null> {
  const { env } = options;
  const db = env.LEDGER;
  const now = options.now ?? Date.now;
  const deadline = now() + (options.budgetMs ?? DEFAULT_BUDGET_MS);

  const targets = await loadFanOutTargets(db);
  const skipped = new Set<string>();
  for (;;) {
    const events = (await readUndispatchedEvents(db, EVENTS_PER_READ + skipped.size)).filter((e) => !skipped.has(e.id));
    if (events.length === 0) break;
    for (const event of events) {
      try {
        await fanOut(env, event, targets.channels, targets.rules, now);
      } catch (err) {
        // One event that cannot be planned must not hold back the rest; it is tried again next pass.
        skipped.add(event.id);
        console.error(`alerts: fanning out event ${event.id} failed: ${describeError(err)}`);
      }
      if (now() >= deadline) return now();
    }
  }

  for (;;) {
    const due = await dueDeliveries(db, now(), DELIVERIES_PER_READ);
    if (due.length === 0) break;
    // Channels proceed side by side; within one channel deliveries go one after another.
    const byChannel = new Map<string, DueDelivery[]>();
    for (const delivery of due) byChannel.set(delivery.channel_id, [...(byChannel.get(delivery.channel_id) ?? []), delivery]);
    await Promise.all(
      [...byChannel.values()].map(async (list) => {
        for (const delivery of list) await attempt(options, delivery, now);
      }),
    );
    if (now() >= deadline) return now();
  }

  if (skipped.size === 0 && (await hasUndispatchedEvents(db))) return now();
  const next = await nextDeliveryDueAt(db);
  return skipped.size > 0 ? Math.min(next ?? Infinity, now() + 60_000) : next;
}

async function fanOut(env: Env, event: OutboxEvent, channels: FanOutChannel[], rules: FanOutRule[], now: () => number): Promise<void> {
  const db = env.LEDGER;
  const context = await loadEventContext(db, event);
  let failures = 0;
  const job = context.jobs.find((j) => j.id === event.jobId);
  if (event.type === "job.status_changed" && job !== undefined && job.status === "failed") {
    const watching = rules.filter((r) => r.connectionIds === null || r.connectionIds.includes(job.connection_id));
    if (watching.length > 0) {
      const limit = Math.min(MAX_THRESHOLD, Math.max(...watching.map((r) => r.failureThreshold)));
      failures = await consecutiveFailures(db, job.connection_id, job, limit);
    }
  }
  const at = now();
  const plan = planFanOut({
    event,
    run: context.run,
    jobs: context.jobs,
    channels,
    rules,
    consecutiveFailures: failures,
    openIncidents: context.openIncidents,
    publicUrl: publicUrl(env),
    now: at,
    newEventId: () => newId("evt", at),
  });
  await commitFanOut(db, event, plan, at);
}

async function attempt(options: DispatchPassOptions, delivery: DueDelivery, now: () => number): Promise<void> {
  const { env } = options;
  const attemptedAt = now();
  let result: AttemptResult;
  try {
    const channel = await resolveChannel(env, { ...delivery, id: delivery.channel_id }, attemptedAt);
    const message = await renderMessage(channel, {
      webhookId: delivery.webhook_id,
      payloadJson: delivery.payload_json,
      now: attemptedAt,
      publicUrl: publicUrl(env),
    });
    result = await sendMessage(env, message, { fetch: options.fetch, gate: options.gate, now });
  } catch (err) {
    // Not reaching the receiver at all (no key to decrypt, a URL no longer allowed) is a failed attempt too.
    result = { statusCode: null, durationMs: now() - attemptedAt, responseExcerpt: null, error: describeError(err), retryAfterMs: null };
  }
  const at = now();
  const step = nextStep({ outcome: result, cycleAttempts: delivery.cycle_attempts + 1, now: at, channelFailingSince: delivery.failing_since });
  await recordAttempt(
    env.LEDGER,
    {
      delivery,
      attemptedAt,
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      responseExcerpt: result.responseExcerpt,
      error: result.error,
      step,
    },
    at,
  );
}
