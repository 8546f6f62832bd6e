// Retry-After per RFC 9110 §10.2.3: delay-seconds (1*DIGIT) or an HTTP-date in any of its three forms (§5.6.7),
// always GMT. Anything else (fractions, signs, ISO 8601, zone offsets, impossible dates) is ignored: null, so
// the caller falls back to its own backoff. A past date waits 0; how long is too long is the caller's cap.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTH = MONTHS.join("|");
const TIME = String.raw`(\d{2}):(\d{2}):(\d{2})`;
const IMF_FIXDATE = new RegExp(String.raw`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (${MONTH}) (\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(String.raw`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-(${MONTH})-(\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(String.raw`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${MONTH}) ([ \d]\d) ${TIME} (\d{4})$`);

/** Milliseconds to wait as the header asks, or null when it says nothing valid. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, Number.MAX_SAFE_INTEGER);
  const at = parseHttpDate(trimmed, now);
  return at === null ? null : Math.max(0, at - now);
}

function parseHttpDate(text: string, now: number): number | null {
  let match = IMF_FIXDATE.exec(text);
  if (match) return utc(Number(match[3]), match[2]!, match[1]!, match.slice(4, 7));
  match = RFC_850.exec(text);
  if (match) return utc(fullYear(Number(match[3]), now), match[2]!, match[1]!, match.slice(4, 7));
  match = ASCTIME.exec(text);
  if (match) return utc(Number(match[6]), match[1]!, match[2]!, match.slice(3, 6));
  return null;
}

// RFC 9110: a two-digit year more than 50 years in the future is the most recent past year with those digits.
function fullYear(twoDigits: number, now: number): number {
  const thisYear = new Date(now).getUTCFullYear();
  const year = thisYear - (thisYear % 100) + twoDigits;
  return year > thisYear + 50 ? year - 100 : year;
}

function utc(year: number, monthName: string, dayText: string, [hh, mm, ss]: string[]): number | null {
  const month = MONTHS.indexOf(monthName);
  const day = Number(dayText.trim());
  const [hour, minute, second] = [Number(hh), Number(mm), Number(ss)];
  if (hour > 23 || minute > 59 || second > 60) return null;
  const at = Date.UTC(year, month, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls 31 November over into December; an impossible date is no date.
  return new Date(at).getUTCDate() === day ? at : null;
}

/** A wait a response asks for, and the header that asked, as the log quotes it ("Retry-After: 5"). */
export interface AskedWait {
  delayMs: number;
  asked: string;
}

// Epoch values are told from delays by size: no API asks for a wait of 30 years.
const EPOCH_SECONDS = 1_000_000_000;
const EPOCH_MILLISECONDS = 1_000_000_000_000;

/**
 * The wait a 429 asks for: Retry-After first; else the rate-limit window's reset, as the IETF RateLimit header
 * (`t=` seconds) or RateLimit-Reset (seconds) gives it, or X-RateLimit-Reset, which APIs send as seconds to wait
 * or as the epoch second (or millisecond) the window resets at.
 */
export function askedWait(headers: Headers, now: number, options: { resetHeaders: boolean }): AskedWait | null {
  const retryAfter = headers.get("retry-after");
  const asked = parseRetryAfter(retryAfter, now);
  if (asked !== null) return { delayMs: asked, asked: `Retry-After: ${retryAfter!.trim()}` };
  if (!options.resetHeaders) return null;
  // Only the parameter is quoted: the log never carries a header of the destination's choosing whole.
  const t = /(?:^|[;,\s])t=(\d{1,10})(?=$|[;,\s])/.exec(headers.get("ratelimit") ?? "");
  if (t) return { delayMs: Number(t[1]) * 1000, asked: `RateLimit: t=${t[1]}` };
  for (const name of ["RateLimit-Reset", "X-RateLimit-Reset"]) {
    const value = headers.get(name)?.trim();
    if (value === undefined || !/^\d{1,16}$/.test(value)) continue;
    const n = Number(value);
    const delayMs = n >= EPOCH_MILLISECONDS ? n - now : n >= EPOCH_SECONDS ? n * 1000 - now : n * 1000;
    return { delayMs: Math.max(0, delayMs), asked: `${name}: ${value}` };
  }
  return null;
}
