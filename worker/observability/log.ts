import { createRedactor, REDACTED, type Redactor } from "../engine/redactor";

// The worker's own console output: one JSON line per call, so `wrangler tail`, Workers Logs and Logpush can
// filter by level and by run, job or connection. Every string passes the redactor (secrets the caller knows)
// and the masks below (secrets it does not know: credential-named fields, bearer tokens, URL passwords).

export type LogLevel = "info" | "warn" | "error";

export interface LogFields {
  run_id?: string | null;
  job_id?: string | null;
  connection_id?: string | null;
  [field: string]: unknown;
}

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines carry `fields` too, and mask `secrets` (asked on every call) as well. */
  with(fields: LogFields, secrets?: () => readonly string[]): Logger;
}

// A field named for credential material is masked whole; ids, names and hints of such things are not.
const SECRET_FIELD = /secret|password|passwd|token|authorization|api[_-]?key|cookie|private[_-]?key/i;
const PLAIN_FIELD = /(_id|_ids|_name|_hint|_count|_at)$/i;
const INLINE_SECRETS: Array<[RegExp, string]> = [
  // The schemes as headers write them (case-sensitive, so the word "basic" in a sentence stays).
  [/\b(Bearer|bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${REDACTED}@`],
  [/([?&][A-Za-z_-]*(?:token|key|secret|signature|sig|password)[A-Za-z_-]*=)[^&\s"']+/gi, `$1${REDACTED}`],
];

export function maskSecretLooking(text: string): string {
  let masked = text;
  for (const [pattern, replacement] of INLINE_SECRETS) masked = masked.replace(pattern, replacement);
  return masked;
}

/** A value as it goes into a line: errors as their name and message, strings masked, secret-named fields blanked. */
function loggable(value: unknown, redactor: Redactor, depth = 0): unknown {
  if (typeof value === "string") return maskSecretLooking(redactor.redact(value));
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    const cause = value.cause instanceof Error ? { cause: loggable(value.cause, redactor, depth + 1) } : {};
    return { name: value.name, message: loggable(value.message, redactor), ...cause };
  }
  // Deep structures are cut rather than walked: a log line is a summary.
  if (depth >= 4) return "[…]";
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => loggable(item, redactor, depth + 1));
  if (typeof value === "object") return loggableFields(value as Record<string, unknown>, redactor, depth + 1);
  return loggable(String(value), redactor);
}

function loggableFields(fields: Record<string, unknown>, redactor: Redactor, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const name = maskSecretLooking(redactor.redact(key));
    const secret = SECRET_FIELD.test(key) && !PLAIN_FIELD.test(key) && value !== null && value !== undefined && value !== "";
    out[name] = secret ? REDACTED : loggable(value, redactor, depth);
  }
  return out;
}

const RESERVED = new Set(["level", "msg", "time"]);

export function createLogger(
  base: LogFields = {},
  secrets: () => readonly string[] = () => [],
  write: (level: LogLevel, line: string) => void = writeToConsole,
): Logger {
  const redactor = createRedactor(secrets);
  const emit = (level: LogLevel, message: string, fields: LogFields = {}): void => {
    const extra = loggableFields({ ...base, ...fields }, redactor, 0);
    for (const key of RESERVED) delete extra[key];
    const line = { level, msg: maskSecretLooking(redactor.redact(message)), time: new Date().toISOString(), ...extra };
    write(level, JSON.stringify(line));
  };
  return {
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    with: (fields, more) => createLogger({ ...base, ...fields }, more ? () => [...secrets(), ...more()] : secrets, write),
  };
}

// The one place the worker writes to the console; the level picks the stream Workers Logs files it under.
function writeToConsole(level: LogLevel, line: string): void {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

export const log: Logger = createLogger();
