// The levels the logs table's CHECK constraint allows, in the order a reader ranks them.
export const LOG_LEVELS = ["ERROR", "WARN", "INFO", "DEBUG"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
