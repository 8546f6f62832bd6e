import { sweepAlerts } from "../alerts/alert-queue";
import { sendDueChannelTests } from "../alerts/scheduled-tests";
import { resealLegacySecrets } from "../auth/reseal-legacy-secrets";
import type { Env } from "../env";
import { purgeExpiredIdempotencyKeys } from "../ledger/run-idempotency";
import { writeSettingStatement } from "../ledger/settings";
import { retentionOnTrigger } from "../retention/scheduled-retention";
import { kickRuns } from "../runs/run-service";
import { HEARTBEAT_KEYS, triggerFor } from "./heartbeat";
import { enqueueDueTicks } from "./enqueue-due-ticks";
import { heartbeatPass } from "./heartbeat-ping";
import { freshnessPass } from "../alerts/freshness-pass";
import { assertNever } from "../../shared/lang";
import { log } from "../observability/log";
import { exportQueueDepths } from "../observability/queue-telemetry";

/**
 * Cron entry point. Each trigger records a heartbeat so the dashboard can
 * show that the scheduler is alive, then does its work.
 */
export async function handleScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const trigger = triggerFor(controller.cron);
  if (trigger === null) {
    log.warn("scheduled: no handler for this cron", { cron: controller.cron });
    return;
  }
  const tickAt = new Date(controller.scheduledTime).toISOString();
  await writeSettingStatement(env.LEDGER, HEARTBEAT_KEYS[trigger], tickAt, Date.now()).run();
  switch (trigger) {
    case "minute": {
      // The outside monitor's heartbeat runs beside the tick's work, so a slow monitor delays none of it.
      const heartbeat = heartbeatPass(env).catch((err: unknown) => log.error("scheduled: could not call the heartbeat URL", { error: err }));
      // So does the telemetry of the backlogs, which never rejects.
      const depths = exportQueueDepths(env);
      await minuteTick(env, controller.scheduledTime);
      // Safety net for the alert outbox: an enqueue after a status change, a sender's wake or alarm that went missing.
      await sweepAlerts(env, { now: Date.now() });
      await retentionOnTrigger(env, "minute");
      await heartbeat;
      await depths;
      return;
    }
    case "daily":
      await retentionOnTrigger(env, "daily");
      return;
    default:
      assertNever(trigger);
  }
}

async function minuteTick(env: Env, scheduledTime: number): Promise<void> {
  // The queue's consumer starts the runs (consume-ticks.ts). What is not enqueued now stays unrecorded, and
  // the next minute enqueues it.
  try {
    const report = await enqueueDueTicks(env.LEDGER, env.SCHEDULE_QUEUE, scheduledTime);
    if (report.ticks > 0) log.info("scheduled ticks enqueued", { ...report });
  } catch (err) {
    log.error("scheduled: could not enqueue every due tick; the next minute enqueues the rest", { error: err });
  }
  // Queued runs whose credential is free, and coordinators whose start was lost, get going again.
  // A failure here must not hide the schedules already started; the next minute tries again.
  try {
    await kickRuns(env);
  } catch (err) {
    log.error("scheduled: could not resume queued runs", { error: err });
  }
  // Run Idempotency-Keys live 24 hours; a bounded batch a minute keeps the table at about a day of keys.
  try {
    await purgeExpiredIdempotencyKeys(env.LEDGER, Date.now());
  } catch (err) {
    log.error("scheduled: could not purge expired idempotency keys", { error: err });
  }
  // Secrets sealed before row binding (v1) are rewritten as v2, a bounded batch a minute, until none is left.
  try {
    await resealLegacySecrets(env);
  } catch (err) {
    log.error("scheduled: could not reseal v1 secrets", { error: err });
  }
  // Channels with a test schedule send their test message; what each got back is kept on the channel.
  try {
    const report = await sendDueChannelTests(env, scheduledTime);
    if (report.due > 0) log.info("scheduled channel tests", { ...report });
  } catch (err) {
    log.error("scheduled: could not send the due channel tests; the next minute tries again", { error: err });
  }
  // Freshness: an expected success that has not arrived raises (Delayed: warning, Overdue: critical); its arrival resolves.
  try {
    const report = await freshnessPass(env, scheduledTime);
    if (report.transitions > 0) log.info("freshness alerts", { ...report });
  } catch (err) {
    log.error("scheduled: could not judge freshness; the next minute tries again", { error: err });
  }
}
