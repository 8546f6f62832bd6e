import { describe, expect, it } from "vitest";
import {
  compileTemplate,
  parseTemplate,
  placeholderNames,
  renderText,
  renderUrl,
  TemplateSyntaxError,
  UNRENDERABLE,
  urlTemplateOriginProblem,
} from "../../worker/engine/templates";

describe("URL templates", () => {
  it("lists their placeholders", () => {
    expect(placeholderNames(compileTemplate("https://x.example/{serial}/{meta.id}?q={id}"))).toEqual(["serial", "meta.id", "id"]);
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

describe("URL templates keep the host they were written with", () => {
  it.each([
    "https:{id}.example.com",
    "https:/{id}",
    "https://{id}",
    "https:///{id}",
    "https://{tenant}.example.com/devices/{serial}",
    "https://api.example.com{id}",
    "https://api.example.com:{port}/devices",
    "https://user{id}@api.example.com/",
    "https:\\\\{id}",
    "https:\\{id}",
    "https://api.example.com\\{id}",
  ])("refuse %j, whose placeholder comes before the path", (source) => {
    expect(urlTemplateOriginProblem(compileTemplate(source))).toMatch(/only after the host/);
  });

  it.each([
    "https://api.example.com/devices/{serial}",
    "https://api.example.com:8443/v2/{id}?site={site}",
    "https://api.example.com?serial={serial}",
    "https://api.example.com#{serial}",
    "https://api.example.com/bulk",
    "https:{{x}}",
  ])("accept %j", (source) => {
    expect(urlTemplateOriginProblem(compileTemplate(source))).toBeNull();
  });

  it.each([
    { source: "https://api.example.com{id}", id: ".evil.com" },
    { source: "https://api.example.com{id}", id: "@evil.com" },
    { source: "https://api.example.com{id}", id: ":8443" },
    { source: "https:{id}.example.com", id: "evil.com/x" },
    { source: "https:/{id}", id: "evil.com" },
    { source: "https://{id}", id: "evil.com" },
    { source: "https:\\\\{id}", id: "evil.com" },
    { source: "https://api.example.com:{id}/x", id: "8443" },
  ])("refuse to fill $source with $id: the origin would change", ({ source, id }) => {
    const result = renderUrl(compileTemplate(source), "SN-1", { id });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^url_origin_changed: /);
  });

  it("fill values that only touch the path or query, whatever they hold", () => {
    const template = compileTemplate("https://api.example.com/devices/{id}?q={serial}");
    for (const id of [".evil.com", "@evil.com", "//evil.com", "\\\\evil.com", "https://evil.com/", "%2e%2e", "..."]) {
      const result = renderUrl(template, "?x=#y", { id });
      expect(result.ok, id).toBe(true);
      if (result.ok) {
        const url = new URL(result.url);
        expect(url.origin).toBe("https://api.example.com");
        expect(url.pathname.split("/")).toHaveLength(3);
      }
    }
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
