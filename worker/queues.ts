import { ALERT_QUEUE_NAME, consumeAlertEvents } from "./alerts/alert-queue";
import type { Env } from "./env";
import { consumeScheduleTicks } from "./schedule/consume-ticks";
import { log } from "./observability/log";
import { countQueueBatch } from "./observability/queue-telemetry";

// Queue names as wrangler.toml declares them: one consumer per queue.
export const QUEUE_NAMES = {
  alerts: ALERT_QUEUE_NAME,
  schedule: "outbound-sync-schedule",
} as const;

/** Queue consumer entry: one case per queue this worker consumes (wrangler.toml [[queues.consumers]]). */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env, ctx?: ExecutionContext): Promise<void> {
  countQueueBatch(env, batch.queue, batch.messages.length, ctx ? (work) => ctx.waitUntil(work) : undefined);
  switch (batch.queue) {
    case QUEUE_NAMES.alerts:
      return consumeAlertEvents(batch as MessageBatch, env);
    case QUEUE_NAMES.schedule: {
      const report = await consumeScheduleTicks(batch, env);
      if (report.ticks > 0) log.info("scheduled ticks consumed", { ...report });
      return;
    }
    default:
      // A queue bound to this worker without a consumer here: keep its messages rather than lose them.
      log.error("queue: no consumer for this queue; retrying its messages", { queue: batch.queue, messages: batch.messages.length });
      batch.retryAll();
  }
}
