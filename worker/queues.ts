import { ALERT_QUEUE_NAME, consumeAlertEvents } from "./alerts/alert-queue";
import type { Env } from "./env";

/** Queue consumer entry: one case per queue this worker consumes (wrangler.toml [[queues.consumers]]). */
export async function handleQueue(batch: MessageBatch, env: Env): Promise<void> {
  switch (batch.queue) {
    case ALERT_QUEUE_NAME:
      return consumeAlertEvents(batch, env);
    default:
      // A queue bound to this worker without a consumer here: keep its messages rather than lose them.
      console.error(`queue: no consumer for queue "${batch.queue}"; retrying ${batch.messages.length} message(s)`);
      batch.retryAll();
  }
}
