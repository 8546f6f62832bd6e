import { parseTimeInput, resolveTimeRange, TimeInputError, TimeRangeOrderError, type TimeRange } from "../stats/time-range";
import { validationError } from "./errors";

/** since/until from the query string (ISO or relative); an unreadable one is a 400 naming it. */
export function queryTimeRange(query: { since?: string | undefined; until?: string | undefined }, now: number, defaultSpanMs: number): TimeRange {
  return asValidation(() => resolveTimeRange(query, now, defaultSpanMs));
}

/** Another relative-or-ISO time parameter; missing means `now - defaultAgoMs`. */
export function queryTime(field: string, value: string | undefined, now: number, defaultAgoMs: number): number {
  return value === undefined ? now - defaultAgoMs : asValidation(() => parseTimeInput(field, value, now));
}

function asValidation<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof TimeInputError) throw validationError([{ path: err.field, message: err.message, in: "query" }], "query");
    if (err instanceof TimeRangeOrderError) throw validationError([{ path: err.field, message: err.message, in: "query" }], "query");
    throw err;
  }
}
