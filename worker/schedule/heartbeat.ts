export const TRIGGERS = {
  minute: "* * * * *",
  daily: "17 3 * * *",
} as const;

export type TriggerName = keyof typeof TRIGGERS;

export const HEARTBEAT_KEYS: Record<TriggerName, string> = {
  minute: "scheduler.minute_tick_at",
  daily: "scheduler.daily_tick_at",
};

export function triggerFor(cron: string): TriggerName | null {
  for (const name of Object.keys(TRIGGERS) as TriggerName[]) {
    if (TRIGGERS[name] === cron) return name;
  }
  return null;
}
