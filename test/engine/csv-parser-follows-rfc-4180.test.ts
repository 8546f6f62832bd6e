import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCsv } from "../../worker/engine/csv";

// RFC 4180 writing: quote a field when it holds a comma, quote or line break; double every quote.
function writeField(value: string): string {
  return /[",\r\n]/.test(value) || value === "" ? `"${value.replace(/"/g, '""')}"` : value;
}

function writeCsv(rows: string[][], lineEnd: string): string {
  return rows.map((row) => row.map(writeField).join(",")).join(lineEnd) + lineEnd;
}

describe("parseCsv", () => {
  it("reads quoted fields, escaped quotes, CRLF and line breaks inside quotes", () => {
    const result = parseCsv('a,b,c\r\n"1,5","say ""x""","l1\r\nl2"\r\n');
    expect(result).toEqual({
      ok: true,
      rows: [
        { line: 1, fields: ["a", "b", "c"] },
        { line: 2, fields: ["1,5", 'say "x"', "l1\r\nl2"] },
      ],
    });
  });

  it("numbers rows by the line they start on, skipping blank lines", () => {
    const result = parseCsv('h\n\n"multi\nline"\nlast');
    expect(result.ok && result.rows.map((r) => r.line)).toEqual([1, 3, 5]);
  });

  it("tells an empty cell (null) from an empty quoted string", () => {
    expect(parseCsv('a,,""\n')).toEqual({ ok: true, rows: [{ line: 1, fields: ["a", null, ""] }] });
  });

  it("accepts a UTF-8 byte order mark and a last line without a line break", () => {
    expect(parseCsv("\uFEFFserial\nX-1")).toEqual({
      ok: true,
      rows: [
        { line: 1, fields: ["serial"] },
        { line: 2, fields: ["X-1"] },
      ],
    });
  });

  it.each([
    { text: 'a,b"c\n', line: 1, error: /quote inside an unquoted field/ },
    { text: 'a\n"x"y\n', line: 2, error: /after a closing quote/ },
    { text: 'a\nb\n"never closed\n\n', line: 3, error: /never closed/ },
  ])("refuses $text naming line $line", ({ text, line, error }) => {
    const result = parseCsv(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.line).toBe(line);
      expect(result.error).toMatch(error);
    }
  });

  it("reads back whatever RFC 4180 writes", () => {
    const field = fc.string({ unit: fc.constantFrom("a", "b", " ", ",", '"', "\n", "\r", "é", "1") });
    const rows = fc.array(fc.array(field, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(rows, fc.constantFrom("\n", "\r\n"), (table, lineEnd) => {
        const parsed = parseCsv(writeCsv(table, lineEnd));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(parsed.rows.map((r) => r.fields)).toEqual(table);
      }),
    );
  });
});
