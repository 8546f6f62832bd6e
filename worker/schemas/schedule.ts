import { z } from "@hono/zod-openapi";
import { Cron } from "croner";
import { errorMessage } from "../../shared/lang";

/** Null when `expression` is a 5-field cron (UTC) that fires at least once, else why not. */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (expression.trim().startsWith("@")) return "use the 5 cron fields (minute hour day-of-month month day-of-week), not a nickname";
  if (fields.length !== 5) {
    return `a schedule has 5 fields (minute hour day-of-month month day-of-week), this has ${fields.length}`;
  }
  let cron: Cron;
  try {
    cron = new Cron(fields.join(" "), { mode: "5-part", timezone: "UTC", paused: true });
  } catch (error) {
    return `not a valid cron expression: ${errorMessage(error)}`;
  }
  try {
    if (cron.nextRun() === null) return "this schedule never fires";
  } finally {
    cron.stop();
  }
  return null;
}

export const scheduleSchema = z
  .string()
  .trim()
  .max(100)
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  })
  .openapi({ description: "5-field cron expression, evaluated in UTC.", example: "*/15 * * * *" });
