import { Cron } from "croner";

/** The first time a 5-field UTC cron fires strictly after `after`, or null when it never fires again. */
export function nextFireAfter(schedule: string, after: number): number | null {
  const cron = new Cron(schedule, { mode: "5-part", timezone: "UTC", paused: true });
  try {
    return cron.nextRun(new Date(after))?.getTime() ?? null;
  } finally {
    cron.stop();
  }
}
