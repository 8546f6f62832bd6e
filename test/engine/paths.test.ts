import { describe, expect, it } from "vitest";
import { compilePath, parsePath, PathSyntaxError, readPath, setPath } from "../../worker/engine/paths";

describe("paths", () => {
  it("reads nested keys and array indexes", () => {
    const record = { data: { items: [{ id: 7 }, { id: 8, tags: ["a", "b"] }] } };
    expect(readPath(record, compilePath("data.items[1].id"))).toBe(8);
    expect(readPath(record, compilePath("data.items[1].tags[0]"))).toBe("a");
    expect(readPath([{ id: 3 }], compilePath("[0].id"))).toBe(3);
  });

  it("reads the whole value for the empty path", () => {
    const record = { a: 1 };
    expect(readPath(record, compilePath(""))).toBe(record);
  });

  it("returns undefined for anything that is not there instead of throwing", () => {
    const record = { a: { b: null }, list: [1], text: "abc" };
    expect(readPath(record, compilePath("a.b.c"))).toBeUndefined();
    expect(readPath(record, compilePath("list[5]"))).toBeUndefined();
    expect(readPath(record, compilePath("list.length"))).toBeUndefined();
    expect(readPath(record, compilePath("text.length"))).toBeUndefined();
    expect(readPath(record, compilePath("a[0]"))).toBeUndefined();
    expect(readPath(null, compilePath("a"))).toBeUndefined();
  });

  it("never resolves inherited properties such as toString", () => {
    expect(readPath({}, compilePath("toString"))).toBeUndefined();
    expect(readPath({ a: {} }, compilePath("a.hasOwnProperty"))).toBeUndefined();
  });

  it("accepts keys with letters of any script, digits, @, $, : and -", () => {
    expect(parsePath("größe.@id.x-y.ns:tag.$v.a_1").ok).toBe(true);
    expect(readPath({ größe: { "@id": 4 } }, compilePath("größe.@id"))).toBe(4);
  });

  it("reads and writes a key of any characters quoted as a JSON string in brackets", () => {
    const record = { "Serial Number": "SN-1", fields: { "Last seen (UTC)": "today", 'say "hi"': 1, "a.b": 2 } };
    expect(readPath(record, compilePath('["Serial Number"]'))).toBe("SN-1");
    expect(readPath(record, compilePath('fields["Last seen (UTC)"]'))).toBe("today");
    expect(readPath(record, compilePath('fields["say \\"hi\\""]'))).toBe(1);
    expect(readPath(record, compilePath('fields["a.b"]'))).toBe(2);
    expect(compilePath('["serial"]').segments).toEqual(compilePath("serial").segments);
    expect(compilePath('fields["Display Name"].en').segments).toEqual(["fields", "Display Name", "en"]);
    const target: Record<string, unknown> = {};
    setPath(target, compilePath('fields["Display Name"]'), "Pump");
    expect(target).toEqual({ fields: { "Display Name": "Pump" } });
  });

  it.each([
    ['["open', "never closed"],
    ['["a"x', 'expected "]"'],
    ['[""]', "empty quoted key"],
    ['["\\q"]', "not a valid JSON string"],
    ['["__proto__"]', "not allowed"],
    ["a..b", "empty key"],
    [".a", "empty key"],
    ["a.", "ends with"],
    ["a[", "never closed"],
    ["a[x]", "non-negative integer"],
    ["a[-1]", "non-negative integer"],
    ["a[01]", "non-negative integer"],
    ["a]", 'unexpected "]"'],
    ["a b", "not allowed in a key"],
    ["a[0]b", 'expected "." or "["'],
    ["a.__proto__", "not allowed"],
    ["constructor", "not allowed"],
  ])("rejects %j with a reason (%s)", (path, reason) => {
    const parsed = parsePath(path);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(reason);
    expect(() => compilePath(path)).toThrow(PathSyntaxError);
  });

  it("sets values at nested paths, creating objects on the way", () => {
    const target: Record<string, unknown> = { keep: 1 };
    setPath(target, compilePath("a.b.c"), 5);
    setPath(target, compilePath("a.b.d"), "x");
    setPath(target, compilePath("top"), null);
    expect(target).toEqual({ keep: 1, a: { b: { c: 5, d: "x" } }, top: null });
  });

  it("creates arrays when the next segment is an index", () => {
    const target: Record<string, unknown> = {};
    setPath(target, compilePath("tags[0]"), "a");
    expect(target).toEqual({ tags: ["a"] });
  });

  it("refuses to set the root", () => {
    expect(() => setPath({}, compilePath(""), 1)).toThrow(PathSyntaxError);
  });
});
