import type { LogLine } from "../schemas/runs";

const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

// Control characters and the Unicode line breaks (C0, DEL, C1, U+2028/9) become visible escapes, so text a
// destination or a dataset chose can neither start a line of its own nor drive a terminal.
function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// The download's line format: time, level padded to line up, the serial when there is one, the message.
// A message's own line breaks stay readable as indented continuation lines; a serial is one line always.
export function logTextLine(line: LogLine): string {
  const serial = line.serial === null ? "" : ` [${escapeControls(line.serial)}]`;
  const message = line.message.split(/\r?\n/).map(escapeControls).join("\n    ");
  return `${line.at} ${line.level.padEnd(5)}${serial} ${message}\n`;
}
