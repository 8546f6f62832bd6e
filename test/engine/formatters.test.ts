import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FieldRuleOptions, Formatter } from "../../worker/engine/contracts";
import { compileFormatter, formatIsoInstant, formatValue, toEpochMs } from "../../worker/engine/formatters";

function format(name: Formatter, value: unknown, options: FieldRuleOptions = {}) {
  return formatValue(compileFormatter(name, options), value);
}

function formatsTo(name: Formatter, value: unknown, expected: unknown, options: FieldRuleOptions = {}) {
  expect(format(name, value, options)).toEqual({ ok: true, value: expected });
}

function failsWith(name: Formatter, value: unknown, message: string | RegExp, options: FieldRuleOptions = {}) {
  const result = format(name, value, options);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.error).toMatch(message);
}

function equal(name: Formatter, formatted: string | number | boolean, destination: unknown, options: FieldRuleOptions = {}) {
  return compileFormatter(name, options).equals(formatted, destination);
}

describe("string formatter", () => {
  it("keeps text and writes numbers and booleans as text", () => {
    formatsTo("string", "abc", "abc");
    formatsTo("string", 1.5, "1.5");
    formatsTo("string", false, "false");
  });

  it("fails for objects and non-finite numbers", () => {
    failsWith("string", { a: 1 }, "cannot format an object as string");
    failsWith("string", [1], "cannot format a list as string");
    failsWith("string", Number.POSITIVE_INFINITY, "Infinity");
  });

  it("compares a number in the destination by its text", () => {
    expect(equal("string", "1", 1)).toBe(true);
    expect(equal("string", "007", 7)).toBe(false);
  });
});

describe("number formatter", () => {
  it("reads numbers and decimal numerals", () => {
    formatsTo("number", 3, 3);
    formatsTo("number", " 1.50 ", 1.5);
    formatsTo("number", "-2e3", -2000);
    formatsTo("number", "-0", 0);
  });

  it.each([["abc"], [""], ["0x10"], ["Infinity"], ["1,000"], [true], [{}]])("fails for %j", (value) => {
    failsWith("number", value, "as number");
  });

  it('names the value in its failure: "abc" as number', () => {
    failsWith("number", "abc", 'cannot format "abc" as number');
  });

  it('treats 1 and "1" from an XML destination as equal', () => {
    expect(equal("number", 1, "1")).toBe(true);
    expect(equal("number", 1.5, "1.50")).toBe(true);
    expect(equal("number", 1, "1.01")).toBe(false);
    expect(equal("number", 1, "one")).toBe(false);
  });
});

describe("integer formatter", () => {
  it("accepts whole numbers in any notation", () => {
    formatsTo("integer", "12", 12);
    formatsTo("integer", "12.0", 12);
    formatsTo("integer", 1e3, 1000);
  });

  it("fails for fractions and unsafe integers instead of rounding", () => {
    failsWith("integer", 12.5, "not a whole number");
    failsWith("integer", "9007199254740993", "safe integer range");
    failsWith("integer", "x", 'cannot format "x" as integer');
  });
});

describe("boolean formatter", () => {
  it.each([
    [true, true],
    ["TRUE", true],
    [" yes ", true],
    ["on", true],
    [1, true],
    ["1", true],
    ["y", true],
    [false, false],
    ["False", false],
    ["no", false],
    ["off", false],
    [0, false],
    ["0", false],
    ["n", false],
  ])("reads %j as %j", (value, expected) => {
    formatsTo("boolean", value, expected);
  });

  it("fails for anything else", () => {
    failsWith("boolean", "maybe", "as boolean");
    failsWith("boolean", 2, "as boolean");
  });

  it('compares with "true" from an XML destination', () => {
    expect(equal("boolean", true, "true")).toBe(true);
    expect(equal("boolean", false, "1")).toBe(false);
  });
});

describe("iso_date formatter", () => {
  it("writes ISO 8601 UTC with milliseconds", () => {
    formatsTo("iso_date", "2024-03-01T10:20:30+02:00", "2024-03-01T08:20:30.000Z");
    formatsTo("iso_date", "2024-03-01", "2024-03-01T00:00:00.000Z");
    formatsTo("iso_date", 0, "1970-01-01T00:00:00.000Z");
    formatsTo("iso_date", "1700000000000", "2023-11-14T22:13:20.000Z");
    formatsTo("iso_date", "2024-02-29T23:59:59.1234Z", "2024-02-29T23:59:59.123Z");
  });

  it("reads a date-time without an offset as UTC, whatever the machine's zone", () => {
    formatsTo("iso_date", "2024-03-01T10:20", "2024-03-01T10:20:00.000Z");
  });

  it("reads fractions, compact offsets and six-digit years", () => {
    formatsTo("iso_date", "2024-03-01T10:20:30.5Z", "2024-03-01T10:20:30.500Z");
    formatsTo("iso_date", "2024-03-01t10:20:30,123456+0530", "2024-03-01T04:50:30.123Z");
    formatsTo("iso_date", "2024-03-01 10:20:30-01", "2024-03-01T11:20:30.000Z");
    formatsTo("iso_date", "+010000-01-01T00:00:00.000Z", "+010000-01-01T00:00:00.000Z");
  });

  it.each([
    ["2023-02-29"],
    ["2024-13-01"],
    ["2024-01-01T24:00"],
    ["2024-03-01T10Z"],
    ["2024-03-01T10:20:30."],
    ["2024-03-01T10:20+25:00"],
    ["2024-3-1"],
    ["yesterday"],
    ["03/01/2024"],
    [1.5],
    [{}],
  ])("fails for %j", (value) => failsWith("iso_date", value, "as iso_date"));

  it("compares instants, not text", () => {
    expect(equal("iso_date", "2024-03-01T08:20:30.000Z", "2024-03-01T10:20:30+02:00")).toBe(true);
    expect(equal("iso_date", "2024-03-01T08:20:30.000Z", "2024-03-01T08:20:30Z")).toBe(true);
    expect(equal("iso_date", "2024-03-01T08:20:30.000Z", "2024-03-01T08:20:31Z")).toBe(false);
  });

  it("reads every ISO instant, with any offset, as the same instant Date.parse does", () => {
    const offset = fc.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }));
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), offset, (date, [sign, hours, minutes]) => {
        const iso = date.toISOString();
        expect(toEpochMs(iso)).toBe(date.getTime());
        if (iso.length !== 24) return;
        const zone = `${sign}${String(hours).padStart(2, "0")}:${String(minutes).padStart(2, "0")}`;
        const shifted = iso.replace("Z", zone);
        expect(toEpochMs(shifted)).toBe(Date.parse(shifted));
      }),
      { numRuns: 2000 },
    );
  });

  it("writes exactly what Date.prototype.toISOString writes, for every instant", () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(formatIsoInstant(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
    for (const ms of [0, -1, 951_782_400_000, -62_135_596_800_001, 253_402_300_800_000]) {
      expect(formatIsoInstant(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it("handles years before 100 without the Date.UTC two-digit shift", () => {
    expect(toEpochMs("0050-06-01T00:00:00Z")).toBe(Date.parse("0050-06-01T00:00:00Z"));
  });
});

describe("epoch_ms formatter", () => {
  it("writes milliseconds since the epoch", () => {
    formatsTo("epoch_ms", "1970-01-01T00:00:01Z", 1000);
    formatsTo("epoch_ms", 1234, 1234);
  });

  it("fails for text that is not a date", () => {
    failsWith("epoch_ms", "soon", "as epoch_ms");
  });

  it("compares with an ISO date in the destination", () => {
    expect(equal("epoch_ms", 1000, "1970-01-01T00:00:01.000Z")).toBe(true);
    expect(equal("epoch_ms", 1000, "1000")).toBe(true);
  });
});

describe("case and whitespace formatters", () => {
  it("transform text", () => {
    formatsTo("lowercase", "AbC", "abc");
    formatsTo("uppercase", "straße", "STRASSE");
    formatsTo("trim", "  a b \n", "a b");
    formatsTo("uppercase", 12, "12");
  });

  it("fail for objects", () => {
    failsWith("lowercase", { a: 1 }, "as lowercase");
  });

  it("do not apply their transform to the destination, so a differently cased value is rewritten", () => {
    expect(equal("lowercase", "abc", "ABC")).toBe(false);
    expect(equal("lowercase", "abc", "abc")).toBe(true);
  });
});

describe("map formatter", () => {
  const map = { "1": "active", "0": "inactive", retired: null, big: 10, yes: true };

  it("looks the value up by its text", () => {
    formatsTo("map", 1, "active", { map });
    formatsTo("map", "0", "inactive", { map });
    formatsTo("map", "retired", null, { map });
  });

  it("fails for a value the table does not list", () => {
    failsWith("map", "2", 'cannot format "2" with map: no entry', { map });
    failsWith("map", "toString", "no entry", { map });
  });

  it("compares by the type of the mapped value", () => {
    expect(equal("map", 10, "10", { map })).toBe(true);
    expect(equal("map", true, "true", { map })).toBe(true);
    expect(equal("map", "active", "active", { map })).toBe(true);
  });

  it("cannot be compiled without a table", () => {
    expect(() => compileFormatter("map")).toThrow(/options.map/);
  });
});

describe("default formatter", () => {
  it("writes the constant for null, absent and empty values", () => {
    formatsTo("default", null, "unknown", { default: "unknown" });
    formatsTo("default", undefined, 0, { default: 0 });
    formatsTo("default", "", "unknown", { default: "unknown" });
  });

  it("passes other values through", () => {
    formatsTo("default", "set", "set", { default: "unknown" });
    formatsTo("default", 5, 5, { default: "unknown" });
  });

  it("fails for objects", () => {
    failsWith("default", { a: 1 }, "with default", { default: "x" });
  });
});

describe("template formatter", () => {
  it("keeps the rendered text", () => {
    formatsTo("template", "Ada Lovelace", "Ada Lovelace", { template: "{first} {last}" });
  });
});

describe("every formatter", () => {
  it("gives null for a null value except default, which is how on_null gets to decide", () => {
    for (const name of ["string", "number", "integer", "boolean", "iso_date", "epoch_ms", "lowercase", "uppercase", "trim"] as const) {
      formatsTo(name, null, null);
    }
  });

  it("is deterministic", () => {
    const formatter = compileFormatter("iso_date");
    expect(formatter.format("2024-01-01T00:00:00+05:30")).toBe(formatter.format("2024-01-01T00:00:00+05:30"));
  });
});
