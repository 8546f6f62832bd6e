import type { Env } from "../env";
import type { TriggerName } from "../schedule/heartbeat";
import { runRetention } from "./retention-pass";
import { log } from "../observability/log";

/**
 * The daily trigger starts a retention pass; every minute trigger continues one that ran out of its
 * time budget, so a large backlog drains within minutes, not days. Failures are logged, never thrown:
 * the minute trigger's other work must not depend on retention.
 */
export async function retentionOnTrigger(env: Env, trigger: TriggerName): Promise<void> {
  try {
    const result = await runRetention(env, { mayStart: trigger === "daily" });
    if (result.status !== "idle" && result.status !== "up_to_date") {
      log.info(`retention pass ${result.status}`, { pass_id: result.passId, status: result.status, deleted: result.deleted, error: result.error ?? null });
    }
  } catch (err) {
    log.error("retention pass interrupted; it resumes on the next trigger", { error: err });
  }
}
