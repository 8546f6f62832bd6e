import type { Env } from "../env";
import type { TriggerName } from "../schedule/heartbeat";
import { runRetention } from "./retention-pass";

/**
 * The daily trigger starts a retention pass; every minute trigger continues one that ran out of its
 * time budget, so a large backlog drains within minutes, not days. Failures are logged, never thrown:
 * the minute trigger's other work must not depend on retention.
 */
export async function retentionOnTrigger(env: Env, trigger: TriggerName): Promise<void> {
  try {
    const result = await runRetention(env, { mayStart: trigger === "daily" });
    if (result.status !== "idle" && result.status !== "up_to_date") {
      console.log(`retention ${result.passId}: ${result.status}`, JSON.stringify(result.deleted), result.error ?? "");
    }
  } catch (err) {
    console.error("retention pass interrupted; it resumes on the next trigger", err);
  }
}
