import { sweepAlerts } from "../alerts/alert-queue";
import { resealLegacySecrets } from "../auth/reseal-legacy-secrets";
import type { Env } from "../env";
import { purgeExpiredIdempotencyKeys } from "../ledger/run-idempotency";
import { writeSettingStatement } from "../ledger/settings";
import { retentionOnTrigger } from "../retention/scheduled-retention";
import { createRun, kickRuns } from "../runs/run-service";
import { HEARTBEAT_KEYS, triggerFor } from "./heartbeat";
import { startDueRuns, type StartScheduledRun } from "./start-due-runs";
import { assertNever } from "../../shared/lang";

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
  switch (trigger) {
    case "minute":
      await minuteTick(env, controller.scheduledTime);
      // Safety net for the alert outbox: an enqueue after a status change, a sender's wake or alarm that went missing.
      await sweepAlerts(env, { now: Date.now() });
      await retentionOnTrigger(env, "minute");
      return;
    case "daily":
      await retentionOnTrigger(env, "daily");
      return;
    default:
      assertNever(trigger);
  }
}

async function minuteTick(env: Env, scheduledTime: number): Promise<void> {
  const report = await startDueRuns(env.LEDGER, scheduledTime, Date.now(), scheduledRunStarter(env));
  if (report.started.length > 0 || report.skipped.length > 0) {
    console.log("scheduled runs", JSON.stringify(report));
  }
  // Queued runs whose credential is free, and coordinators whose start was lost, get going again.
  // A failure here must not hide the schedules already started; the next minute tries again.
  try {
    await kickRuns(env);
  } catch (err) {
    console.error("scheduled: could not resume queued runs", err);
  }
  // Run Idempotency-Keys live 24 hours; a bounded batch a minute keeps the table at about a day of keys.
  try {
    await purgeExpiredIdempotencyKeys(env.LEDGER, Date.now());
  } catch (err) {
    console.error("scheduled: could not purge expired idempotency keys", err);
  }
  // Secrets sealed before row binding (v1) are rewritten as v2, a bounded batch a minute, until none is left.
  try {
    await resealLegacySecrets(env);
  } catch (err) {
    console.error("scheduled: could not reseal v1 secrets", err);
  }
}

// Each connection in its own dry-run setting, as the schedule has no mode of its own.
export function scheduledRunStarter(env: Env): StartScheduledRun {
  return async (request) => {
    const { run } = await createRun(env, {
      credentialId: request.credentialId,
      type: "full",
      connectionIds: request.connectionIds,
      trigger: "schedule",
      requestedBy: "scheduler",
    });
    return { runId: run.id };
  };
}
