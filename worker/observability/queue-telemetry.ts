import type { Env } from "../env";
import { readQueueDepths } from "../ledger/queue-depths";
import { log } from "./log";
import { exportTelemetry, telemetryConfig } from "./otlp-exporter";
import { TelemetryBatch } from "./telemetry-batch";

/** The minute tick's gauges of the backlogs; nothing is read when export is off. Never rejects. */
export async function exportQueueDepths(env: Pick<Env, "LEDGER" | "SECRETS_KEY">): Promise<void> {
  try {
    if ((await telemetryConfig(env)) === null) return;
    const depths = await readQueueDepths(env.LEDGER);
    const batch = new TelemetryBatch();
    for (const [queue, depth] of Object.entries(depths)) batch.add("queueDepth", depth, { queue });
    await exportTelemetry(env, batch);
  } catch (error) {
    log.warn("telemetry: could not read the queue depths", { error });
  }
}

/** A queue batch's messages, counted by queue and exported after it (through waitUntil when given one). */
export function countQueueBatch(env: Pick<Env, "LEDGER" | "SECRETS_KEY">, queue: string, messages: number, waitUntil?: (work: Promise<unknown>) => void): void {
  const batch = new TelemetryBatch();
  batch.add("queueMessages", messages, { queue });
  const work = exportTelemetry(env, batch);
  waitUntil?.(work);
}
