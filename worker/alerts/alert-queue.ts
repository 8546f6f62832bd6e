import type { Env } from "../env";
import { undispatchedEventIds } from "../ledger/alerts-outbox";
import { channelsWithDueDeliveries } from "../ledger/alerts-sends";
import { alertSenderStub } from "./alert-channel-sender";
import { fanOutEvents } from "./fan-out-events";
import { errorMessage } from "../../shared/lang";
import { log } from "../observability/log";

// The alert outbox's way out: event ids go on the alerts queue once their batch has committed, the consumer
// fans them out and wakes the senders of the channels that got deliveries. The D1 outbox stays the record:
// a send that never happened, or a message that ran out of retries, is swept back onto the queue.

export const ALERT_QUEUE_NAME = "outbound-sync-alerts";

export interface AlertQueueMessage {
  event_id: string;
}

// Queue.sendBatch takes at most 100 messages.
const MESSAGES_PER_SEND = 100;
// Events younger than this are left to their writer's own send.
const SWEEP_SETTLE_MS = 10_000;
const SWEEP_EVENTS = 1_000;
const SWEEP_CHANNELS = 500;
const MAX_RETRY_DELAY_S = 300;

/** Puts events on the alerts queue. Failing loses nothing (the minute sweep finds them); it only logs. */
export async function enqueueAlertEvents(env: Pick<Env, "ALERT_QUEUE">, eventIds: readonly string[]): Promise<void> {
  try {
    for (let i = 0; i < eventIds.length; i += MESSAGES_PER_SEND) {
      await env.ALERT_QUEUE.sendBatch(eventIds.slice(i, i + MESSAGES_PER_SEND).map((id) => ({ body: { event_id: id } satisfies AlertQueueMessage })));
    }
  } catch (err) {
    log.warn("alerts: could not enqueue events; the minute sweep will", { events: eventIds.length, error: errorMessage(err) });
  }
}

/** Asks a channel's sender for a round now. Failing loses nothing: the minute sweep wakes senders with due work. */
export async function wakeSender(env: Pick<Env, "ALERT_SENDER">, channelId: string): Promise<void> {
  try {
    await alertSenderStub(env, channelId).wake(channelId);
  } catch (err) {
    log.warn("alerts: could not wake a channel's sender; the minute sweep will", { channel_id: channelId, error: errorMessage(err) });
  }
}

export interface SweepOptions {
  now: number;
  // Only events at least this old are enqueued again (default SWEEP_SETTLE_MS; 0: all of them).
  settleMs?: number;
}

/**
 * The minute cron's safety net, in bounded batches: undispatched events old enough that their own send
 * should have landed go on the queue again, and senders of channels with due deliveries are woken (in case
 * a wake or an alarm went missing). Both are idempotent, so a duplicate costs one read. Never throws: the
 * next minute tries again.
 */
export async function sweepAlerts(env: Env, options: SweepOptions): Promise<{ events: number; channels: number }> {
  try {
    const ids = await undispatchedEventIds(env.LEDGER, options.now - (options.settleMs ?? SWEEP_SETTLE_MS), SWEEP_EVENTS);
    await enqueueAlertEvents(env, ids);
    const channels = await channelsWithDueDeliveries(env.LEDGER, options.now, SWEEP_CHANNELS);
    await Promise.all(channels.map((id) => wakeSender(env, id)));
    return { events: ids.length, channels: channels.length };
  } catch (err) {
    log.error("alerts: the outbox sweep failed; the next minute tries again", { error: errorMessage(err) });
    return { events: 0, channels: 0 };
  }
}

/** The alerts queue's consumer: fan out, wake, and ack; an event that failed is retried with backoff. */
export async function consumeAlertEvents(batch: MessageBatch, env: Env): Promise<void> {
  const byEvent = new Map<string, Message[]>();
  for (const message of batch.messages) {
    const id = eventIdOf(message.body);
    if (id === null) {
      log.error("alerts: dropping a queue message that names no event", { body: message.body });
      message.ack();
      continue;
    }
    byEvent.set(id, [...(byEvent.get(id) ?? []), message]);
  }
  let report: Awaited<ReturnType<typeof fanOutEvents>>;
  try {
    report = await fanOutEvents(env, [...byEvent.keys()]);
  } catch (err) {
    log.error("alerts: fanning out a batch of events failed", { events: byEvent.size, error: errorMessage(err) });
    for (const message of batch.messages) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    return;
  }
  await Promise.all([...report.channels].map((id) => wakeSender(env, id)));
  await enqueueAlertEvents(env, report.alertEvents);
  for (const [id, messages] of byEvent) {
    for (const message of messages) {
      if (report.failed.has(id)) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      else message.ack();
    }
  }
}

function eventIdOf(body: unknown): string | null {
  if (typeof body !== "object" || body === null) return null;
  const id = (body as Partial<AlertQueueMessage>).event_id;
  return typeof id === "string" && id !== "" ? id : null;
}

function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_RETRY_DELAY_S, 2 ** Math.max(0, attempts));
}
