import { describe, expect, it } from "vitest";
import {
  compileTemplate,
  parseTemplate,
  placeholderNames,
  renderText,
  renderUrl,
  TemplateSyntaxError,
  UNRENDERABLE,
} from "../../worker/engine/templates";

describe("URL templates", () => {
  it("lists their placeholders", () => {
    expect(placeholderNames(compileTemplate("https://x.example/{serial}/{meta.id}?q={id}"))).toEqual([
      "serial",
      "meta.id",
      "id",
    ]);
  });

  it("fill {serial} from the serial and other placeholders from the destination record", () => {
    const template = compileTemplate("https://dest.example/devices/{id}/{serial}?site={site.code}");
    const result = renderUrl(template, "SN 1/2", { id: 42, site: { code: "a&b" }, serial: "ignored" });
    expect(result).toEqual({ ok: true, url: "https://dest.example/devices/42/SN%201%2F2?site=a%26b" });
  });

  it("treat {{ and }} as literal braces", () => {
    const template = compileTemplate("https://x.example/{{raw}}/{serial}");
    expect(renderUrl(template, "a", {})).toEqual({ ok: true, url: "https://x.example/{raw}/a" });
  });

  it("report a missing value instead of writing undefined into the URL", () => {
    const template = compileTemplate("https://dest.example/devices/{id}");
    for (const record of [{}, { id: null }, { id: "" }, null]) {
      const result = renderUrl(template, "SN-1", record);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toBe("URL placeholder {id} has no value");
    }
  });

  it("report an object placeholder value", () => {
    const result = renderUrl(compileTemplate("https://x.example/{id}"), "s", { id: { a: 1 } });
    expect(result).toEqual({ ok: false, error: "URL placeholder {id} holds an object" });
  });

  it("refuse a dot segment value that would make the URL point elsewhere", () => {
    const template = compileTemplate("https://x.example/devices/{serial}/config");
    expect(renderUrl(template, "..", {}).ok).toBe(false);
    expect(renderUrl(template, ".", {}).ok).toBe(false);
    expect(renderUrl(template, "...", {})).toEqual({ ok: true, url: "https://x.example/devices/.../config" });
  });

  it("report text that is not valid Unicode rather than throwing", () => {
    const result = renderUrl(compileTemplate("https://x.example/{serial}"), "a\uD800b", {});
    expect(result.ok).toBe(false);
  });

  it.each([
    ["https://x.example/{serial", "never closed"],
    ["https://x.example/serial}", 'unmatched "}"'],
    ["https://x.example/{}", "empty placeholder"],
    ["https://x.example/{a b}", "not allowed in a key"],
    ["https://x.example/{a{b}}", "never closed"],
  ])("reject %j (%s)", (source, reason) => {
    const parsed = parseTemplate(source);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(reason);
    expect(() => compileTemplate(source)).toThrow(TemplateSyntaxError);
  });
});

describe("text templates", () => {
  it("join values without URL encoding", () => {
    const template = compileTemplate("{first} {last} <{n}>");
    expect(renderText(template, { first: "Ada", last: "Lovelace & co", n: 1 })).toBe("Ada Lovelace & co <1>");
  });

  it("give null when a placeholder has no value, so on_null decides", () => {
    expect(renderText(compileTemplate("{first} {last}"), { first: "Ada" })).toBeNull();
  });

  it("refuse lists and objects", () => {
    expect(renderText(compileTemplate("{a}"), { a: [1] })).toBe(UNRENDERABLE);
  });

  it("render a template without placeholders as its text", () => {
    expect(renderText(compileTemplate("fixed"), {})).toBe("fixed");
  });
});
