import type { FieldRuleOptions, Formatter } from "./contracts";
import { describeKind, scalarText } from "./templates";

export type Formatted = string | number | boolean | null;

// Returned instead of a result object so the hot path allocates nothing for a successful format.
export const FORMAT_FAILED: unique symbol = Symbol("format_failed");

export interface CompiledFormatter {
  readonly name: Formatter;
  // Only "default" turns a null source into a value; every other formatter leaves null to on_null.
  readonly acceptsNull: boolean;
  format(value: unknown): Formatted | typeof FORMAT_FAILED;
  // Compares a non-null formatted value with a non-null destination value, normalising the destination to the
  // formatter's output type (numbers as numbers, dates as instants). Content transforms such as lowercase are
  // not applied to the destination: "ABC" differs from a lowercased "abc" and is rewritten.
  equals(formatted: Exclude<Formatted, null>, destination: unknown): boolean;
  explain(value: unknown): string;
}

export type FormatResult = { ok: true; value: Formatted } | { ok: false; error: string };

export function formatValue(formatter: CompiledFormatter, value: unknown): FormatResult {
  if ((value === null || value === undefined) && !formatter.acceptsNull) return { ok: true, value: null };
  const formatted = formatter.format(value);
  return formatted === FORMAT_FAILED ? { ok: false, error: formatter.explain(value) } : { ok: true, value: formatted };
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_TEXT = /^[+-]?\d+$/;
const MAX_EPOCH_MS = 8.64e15;
const BOOLEAN_WORDS = new Map<string, boolean>([
  ["true", true],
  ["false", false],
  ["1", true],
  ["0", false],
  ["yes", true],
  ["no", false],
  ["y", true],
  ["n", false],
  ["on", true],
  ["off", false],
]);

// NaN when the value is not a number or a plain decimal numeral (no hex, no "Infinity", no thousands separators).
export function toNumber(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? (value === 0 ? 0 : value) : Number.NaN;
  if (typeof value === "string") {
    const text = value.trim();
    if (!DECIMAL.test(text)) return Number.NaN;
    const n = Number(text);
    return Number.isFinite(n) ? (n === 0 ? 0 : n) : Number.NaN;
  }
  if (typeof value === "bigint") return toNumber(String(value));
  return Number.NaN;
}

export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value === 1 ? true : value === 0 ? false : undefined;
  if (typeof value === "string") return BOOLEAN_WORDS.get(value.trim().toLowerCase());
  return undefined;
}

// Epoch milliseconds, or NaN. Integers (and integer strings) are epoch milliseconds; ISO 8601 text without an
// offset is read as UTC so the result never depends on the machine's time zone.
export function toEpochMs(value: unknown): number {
  if (typeof value === "number") return Number.isSafeInteger(value) && Math.abs(value) <= MAX_EPOCH_MS ? value : Number.NaN;
  if (typeof value === "string") {
    const text = value.trim();
    const ms = parseIsoInstant(text);
    return Number.isNaN(ms) && INTEGER_TEXT.test(text) ? toEpochMs(Number(text)) : ms;
  }
  if (value instanceof Date) return toEpochMs(value.getTime());
  return Number.NaN;
}

// Hand-rolled rather than a regex: date fields are the hottest formatter in a reconcile.
// Accepts YYYY-MM-DD, optionally THH:MM[:SS[.fff]] (or a space / "t"), then Z or ±HH[[:]MM].
function parseIsoInstant(text: string): number {
  const length = text.length;
  const first = text.charCodeAt(0);
  let i: number;
  let year: number;
  if (first === 43 || first === 45) {
    year = digitsAt(text, 1, 6);
    if (first === 45) year = -year;
    i = 7;
  } else {
    year = digitsAt(text, 0, 4);
    i = 4;
  }
  if (Number.isNaN(year) || text.charCodeAt(i) !== 45 || text.charCodeAt(i + 3) !== 45) return Number.NaN;
  const month = digitsAt(text, i + 1, 2);
  const day = digitsAt(text, i + 4, 2);
  i += 6;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  const separator = text.charCodeAt(i);
  if (separator === 84 || separator === 116 || separator === 32) {
    if (text.charCodeAt(i + 3) !== 58) return Number.NaN;
    hour = digitsAt(text, i + 1, 2);
    minute = digitsAt(text, i + 4, 2);
    i += 6;
    if (text.charCodeAt(i) === 58) {
      second = digitsAt(text, i + 1, 2);
      i += 3;
      const dot = text.charCodeAt(i);
      if (dot === 46 || dot === 44) {
        const fractionStart = ++i;
        while (i < length && isDigit(text.charCodeAt(i))) {
          // Only milliseconds are kept; further digits are truncated, never rounded.
          if (i - fractionStart < 3) millis = millis * 10 + (text.charCodeAt(i) - 48);
          i++;
        }
        const kept = i - fractionStart;
        if (kept === 0) return Number.NaN;
        if (kept === 1) millis *= 100;
        else if (kept === 2) millis *= 10;
      }
    }
  }
  let offsetMinutes = 0;
  if (i < length) {
    const zone = text.charCodeAt(i);
    if (zone === 90 || zone === 122) {
      i += 1;
    } else if (zone === 43 || zone === 45) {
      const offsetHours = digitsAt(text, i + 1, 2);
      i += 3;
      let offsetMins = 0;
      if (i < length) {
        if (text.charCodeAt(i) === 58) i += 1;
        offsetMins = digitsAt(text, i, 2);
        i += 2;
      }
      if (!(offsetHours <= 23 && offsetMins <= 59)) return Number.NaN;
      offsetMinutes = (zone === 45 ? -1 : 1) * (offsetHours * 60 + offsetMins);
    } else {
      return Number.NaN;
    }
  }
  if (i !== length) return Number.NaN;
  // NaN from any digitsAt fails these comparisons too.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))) return Number.NaN;
  if (!(hour <= 23 && minute <= 59 && second <= 59)) return Number.NaN;
  const ms = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
  return Math.abs(ms) <= MAX_EPOCH_MS ? ms : Number.NaN;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function digitsAt(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return Number.NaN;
    value = value * 10 + (code - 48);
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's days_from_civil).
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0"));

// Same text as Date.prototype.toISOString, without allocating a Date per value.
export function formatIsoInstant(ms: number): string {
  const days = Math.floor(ms / 86_400_000);
  let rest = ms - days * 86_400_000;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const millis = rest - second * 1000;
  // Howard Hinnant's civil_from_days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const yearText = year >= 0 && year <= 9999 ? String(year).padStart(4, "0") : (year < 0 ? "-" : "+") + String(Math.abs(year)).padStart(6, "0");
  return `${yearText}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[second]}.${
    millis < 10 ? "00" : millis < 100 ? "0" : ""
  }${millis}Z`;
}

function toText(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  return scalarText(value);
}

export function preview(value: unknown): string {
  if (value === undefined) return "an absent value";
  if (typeof value === "object" && value !== null && !(value instanceof Date)) {
    return Array.isArray(value) ? "a list" : "an object";
  }
  const text = typeof value === "string" ? JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value) : String(value);
  return typeof value === "number" && !Number.isFinite(value) ? `${text} (${describeKind(value)})` : text;
}

function equalText(formatted: string, destination: unknown): boolean {
  return typeof destination === "string" ? destination === formatted : scalarText(destination) === formatted;
}

function equalNumber(formatted: number, destination: unknown): boolean {
  return toNumber(destination) === formatted;
}

function equalDynamic(formatted: Exclude<Formatted, null>, destination: unknown): boolean {
  switch (typeof formatted) {
    case "string":
      return equalText(formatted, destination);
    case "number":
      return equalNumber(formatted, destination);
    case "boolean":
      return toBoolean(destination) === formatted;
  }
}

function textFormatter(name: Formatter, transform: (text: string) => string): CompiledFormatter {
  return {
    name,
    acceptsNull: false,
    format(value) {
      const text = typeof value === "string" ? value : toText(value);
      return text === undefined ? FORMAT_FAILED : transform(text);
    },
    equals: (formatted, destination) => equalText(formatted as string, destination),
    explain: (value) => `cannot format ${preview(value)} as ${name}: expected text, a number or a boolean`,
  };
}

const identity = (text: string): string => text;

export function compileFormatter(name: Formatter, options: FieldRuleOptions = {}): CompiledFormatter {
  switch (name) {
    case "string":
    case "template":
      return textFormatter(name, identity);
    case "lowercase":
      return textFormatter(name, (text) => text.toLowerCase());
    case "uppercase":
      return textFormatter(name, (text) => text.toUpperCase());
    case "trim":
      return textFormatter(name, (text) => text.trim());
    case "number":
      return {
        name,
        acceptsNull: false,
        format(value) {
          const n = toNumber(value);
          return Number.isNaN(n) ? FORMAT_FAILED : n;
        },
        equals: (formatted, destination) => equalNumber(formatted as number, destination),
        explain: (value) => `cannot format ${preview(value)} as number`,
      };
    case "integer":
      return {
        name,
        acceptsNull: false,
        format(value) {
          const n = toNumber(value);
          return Number.isSafeInteger(n) ? n : FORMAT_FAILED;
        },
        equals: (formatted, destination) => equalNumber(formatted as number, destination),
        explain(value) {
          const n = toNumber(value);
          const reason = Number.isNaN(n) ? "" : Number.isInteger(n) ? ": outside the safe integer range" : ": not a whole number";
          return `cannot format ${preview(value)} as integer${reason}`;
        },
      };
    case "boolean":
      return {
        name,
        acceptsNull: false,
        format(value) {
          const b = toBoolean(value);
          return b === undefined ? FORMAT_FAILED : b;
        },
        equals: (formatted, destination) => toBoolean(destination) === formatted,
        explain: (value) => `cannot format ${preview(value)} as boolean: expected true/false, 1/0, yes/no or on/off`,
      };
    case "iso_date":
      return {
        name,
        acceptsNull: false,
        format(value) {
          const ms = toEpochMs(value);
          return Number.isNaN(ms) ? FORMAT_FAILED : formatIsoInstant(ms);
        },
        equals: (formatted, destination) => toEpochMs(destination) === toEpochMs(formatted),
        explain: (value) => `cannot format ${preview(value)} as iso_date: expected an ISO 8601 date or epoch milliseconds`,
      };
    case "epoch_ms":
      return {
        name,
        acceptsNull: false,
        format(value) {
          const ms = toEpochMs(value);
          return Number.isNaN(ms) ? FORMAT_FAILED : ms;
        },
        equals: (formatted, destination) => toEpochMs(destination) === formatted,
        explain: (value) => `cannot format ${preview(value)} as epoch_ms: expected an ISO 8601 date or epoch milliseconds`,
      };
    case "map": {
      const table = options.map;
      if (table === undefined) throw new Error('formatter "map" needs options.map');
      return {
        name,
        acceptsNull: false,
        format(value) {
          const key = toText(value);
          return key !== undefined && Object.hasOwn(table, key) ? table[key]! : FORMAT_FAILED;
        },
        equals: equalDynamic,
        explain: (value) => `cannot format ${preview(value)} with map: no entry for this value`,
      };
    }
    case "default": {
      const fallback = options.default;
      if (fallback === undefined) throw new Error('formatter "default" needs options.default');
      return {
        name,
        acceptsNull: true,
        format(value) {
          if (value === null || value === undefined || value === "") return fallback;
          if (typeof value === "string" || typeof value === "boolean") return value;
          if (typeof value === "number") return Number.isFinite(value) ? value : FORMAT_FAILED;
          const text = toText(value);
          return text === undefined ? FORMAT_FAILED : text;
        },
        equals: equalDynamic,
        explain: (value) => `cannot format ${preview(value)} with default: expected text, a number or a boolean`,
      };
    }
  }
}
