import type { LogLine } from "./run-schemas";

// The download's line format: time, level padded to line up, the serial when there is one, the message.
export function logTextLine(line: LogLine): string {
  const serial = line.serial === null ? "" : ` [${line.serial}]`;
  return `${line.at} ${line.level.padEnd(5)}${serial} ${line.message.replace(/\r?\n/g, "\n    ")}\n`;
}
