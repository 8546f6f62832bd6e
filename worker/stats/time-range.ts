export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

const UNIT_MS: Record<string, number> = {
  m: MINUTE_MS,
  min: MINUTE_MS,
  mins: MINUTE_MS,
  minute: MINUTE_MS,
  minutes: MINUTE_MS,
  h: HOUR_MS,
  hr: HOUR_MS,
  hrs: HOUR_MS,
  hour: HOUR_MS,
  hours: HOUR_MS,
  d: DAY_MS,
  day: DAY_MS,
  days: DAY_MS,
  w: 7 * DAY_MS,
  wk: 7 * DAY_MS,
  week: 7 * DAY_MS,
  weeks: 7 * DAY_MS,
};

const RELATIVE = /^(\d{1,5})\s*([a-z]+)(?:\s+ago)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

export const TIME_INPUT_HELP =
  'an ISO 8601 time ("2026-11-20T08:00:00Z", or a date "2026-11-20" meaning its UTC midnight) or a time ago such as "30m", "24h", "7d", "2w"';

// Messages leave the field out: the API names it in the path, MCP in front of the message.
export class TimeInputError extends Error {
  constructor(
    readonly field: string,
    readonly input: string,
  ) {
    super(`"${input}" is not ${TIME_INPUT_HELP}.`);
    this.name = "TimeInputError";
  }
}

/** Milliseconds since the epoch for an ISO time or a relative "24h" counted back from `now`. */
export function parseTimeInput(field: string, input: string, now: number): number {
  const text = input.trim().toLowerCase();
  if (text === "now") return now;
  const relative = RELATIVE.exec(text);
  if (relative) {
    const unit = UNIT_MS[relative[2] ?? ""];
    if (unit === undefined) throw new TimeInputError(field, input);
    return now - Number(relative[1]) * unit;
  }
  if (!ISO_DATE.test(input.trim())) throw new TimeInputError(field, input);
  // A bare date or a time without an offset is UTC, as everywhere else in the product.
  const normalised = /[zZ]|[+-]\d{2}:?\d{2}$/.test(input.trim()) || input.trim().length === 10 ? input.trim() : `${input.trim()}Z`;
  const time = Date.parse(normalised.replace(" ", "T"));
  if (Number.isNaN(time)) throw new TimeInputError(field, input);
  return time;
}

export interface TimeRange {
  since: number;
  until: number;
}

export interface TimeRangeInput {
  since?: string | undefined;
  until?: string | undefined;
}

/** Resolves optional since/until; a missing `since` reaches back `defaultSpanMs` from `until`. */
export function resolveTimeRange(input: TimeRangeInput, now: number, defaultSpanMs: number): TimeRange {
  const until = input.until === undefined ? now : parseTimeInput("until", input.until, now);
  const since = input.since === undefined ? until - defaultSpanMs : parseTimeInput("since", input.since, now);
  if (since > until) {
    throw new TimeRangeOrderError(new Date(since).toISOString(), new Date(until).toISOString());
  }
  return { since, until };
}

export class TimeRangeOrderError extends Error {
  readonly field = "since";

  constructor(
    readonly since: string,
    readonly until: string,
  ) {
    super(`${since} is after until (${until}).`);
    this.name = "TimeRangeOrderError";
  }
}

export function startOfUtcDay(time: number): number {
  return Math.floor(time / DAY_MS) * DAY_MS;
}

export function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}
