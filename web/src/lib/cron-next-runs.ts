// Kept apart from cron-reading.ts, so the connection list does not load croner.
import { errorMessage } from "../../../shared/lang";
import { Cron } from "croner";

export type CronCheck = { ok: true; next: Date[] } | { ok: false; problem: string };

// The next runs as the scheduler computes them: 5 fields, UTC.
export function nextRuns(expression: string, count: number, from: Date): CronCheck {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    return { ok: false, problem: `a schedule has 5 fields (minute hour day-of-month month day-of-week), this has ${fields.length}` };
  }
  let cron: Cron;
  try {
    cron = new Cron(fields.join(" "), { mode: "5-part", timezone: "UTC", paused: true });
  } catch (error) {
    const message = errorMessage(error).replace(/^CronPattern:\s*/, "");
    return { ok: false, problem: `not a valid cron expression: ${message}` };
  }
  try {
    const next = cron.nextRuns(count, from);
    return next.length === 0 ? { ok: false, problem: "this schedule never fires" } : { ok: true, next };
  } finally {
    cron.stop();
  }
}
