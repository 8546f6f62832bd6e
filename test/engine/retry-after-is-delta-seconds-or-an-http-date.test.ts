import { describe, expect, it } from "vitest";
import { parseRetryAfter } from "../../worker/engine/retry-after";

// RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds, delay-seconds = 1*DIGIT. The engine and the
// alert sender used to disagree on the values marked "used to": one rule now serves both.
const NOW = Date.parse("2026-11-20T10:00:00Z");

describe("Retry-After as delay-seconds", () => {
  it.each([
    ["0", 0],
    ["7", 7_000],
    [" 7 ", 7_000],
    ["120", 120_000],
  ])("reads %j as %i ms", (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it("returns a huge wait as given, for the caller to cap", () => {
    expect(parseRetryAfter("86400000", NOW)).toBe(86_400_000_000);
    // Beyond what a number holds exactly, the wait is the largest safe one rather than Infinity.
    expect(parseRetryAfter("9".repeat(400), NOW)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("Retry-After as an HTTP date", () => {
  it.each([
    ["IMF-fixdate", "Fri, 20 Nov 2026 10:00:05 GMT", 5_000],
    ["obsolete RFC 850 date", "Friday, 20-Nov-26 10:00:05 GMT", 5_000],
    // asctime carries no zone and means GMT; it used to be read in the machine's local zone.
    ["asctime date", "Fri Nov 20 10:00:05 2026", 5_000],
    ["asctime date with a one-digit day", "Wed Dec  2 10:00:00 2026", 12 * 24 * 3_600_000],
  ])("reads an %s", (_form, value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it("waits nothing for a date already past", () => {
    expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", NOW)).toBe(0);
  });

  it("reads a two-digit RFC 850 year as the nearest year not more than 50 years ahead", () => {
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", NOW)).toBe(0);
    expect(parseRetryAfter("Saturday, 21-Nov-26 10:00:00 GMT", NOW)).toBe(24 * 3_600_000);
  });
});

describe("Retry-After that is neither", () => {
  it.each([
    // used to: 1 500 ms in the engine, 0 in alerts (Date.parse reads "1.5" as 5 January 2001)
    ["a fractional number", "1.5"],
    // used to: 0 in both (Date.parse reads "-5" as a date in 2001)
    ["a negative number", "-5"],
    ["a signed number", "+5"],
    ["an exponent", "1e3"],
    // used to: accepted by both through Date.parse
    ["an ISO 8601 date", "2026-11-20T10:00:05Z"],
    ["a date with a zone offset", "Fri, 20 Nov 2026 10:00:05 +0100"],
    ["a date without its zone", "Fri, 20 Nov 2026 10:00:05"],
    ["an impossible date", "Fri, 31 Nov 2026 10:00:05 GMT"],
    ["a word", "soon"],
    ["an empty value", ""],
  ])("ignores %s (%j)", (_what, value) => {
    expect(parseRetryAfter(value, NOW)).toBeNull();
  });

  it("ignores a missing header", () => {
    expect(parseRetryAfter(null, NOW)).toBeNull();
  });
});
