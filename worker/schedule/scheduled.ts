import type { Env } from "../env";
import { writeSettingStatement } from "../ledger/settings";
import { HEARTBEAT_KEYS, triggerFor } from "./heartbeat";

/**
 * Cron entry point. Each trigger records a heartbeat so the dashboard can
 * show that the scheduler is alive, then does its work.
 */
export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const trigger = triggerFor(controller.cron);
  if (trigger === null) {
    console.warn(`scheduled: no handler for cron "${controller.cron}"`);
    return;
  }
  const tickAt = new Date(controller.scheduledTime).toISOString();
  await writeSettingStatement(env.LEDGER, HEARTBEAT_KEYS[trigger], tickAt, Date.now()).run();
}
