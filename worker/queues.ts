import type { Env } from "./env";
import { consumeScheduleTicks } from "./schedule/consume-ticks";

// Queue names as wrangler.toml declares them: one consumer per queue.
export const QUEUE_NAMES = {
  schedule: "outbound-sync-schedule",
} as const;

export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  switch (batch.queue) {
    case QUEUE_NAMES.schedule: {
      const report = await consumeScheduleTicks(batch, env);
      if (report.ticks > 0) console.log("scheduled ticks consumed", JSON.stringify(report));
      return;
    }
    default:
      // Thrown, not acked: the messages are retried (and kept) until a consumer for the queue exists.
      throw new Error(`no consumer for queue "${batch.queue}"`);
  }
}
