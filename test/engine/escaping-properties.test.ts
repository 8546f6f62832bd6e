import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileTemplate, renderUrl } from "../../worker/engine/templates";
import { buildXml, escapeXmlAttribute, findIllegalXmlChar, isXmlName, parseXml, XmlBuildError } from "../../worker/engine/xml";

const hostile = fc.constantFrom(
  "<",
  ">",
  "&",
  '"',
  "'",
  "]]>",
  "<!--",
  "-->",
  "<![CDATA[",
  "&amp;",
  "&#0;",
  "&lt;",
  "\u0000",
  "\u0008",
  "\u000B",
  "\r",
  "\r\n",
  "\t",
  "\uFFFE",
  "\uD800",
  "\uDFFF",
  "😀",
  "é",
  "{",
  "}",
  "/",
  "?",
  "#",
  "%",
  "%2F",
  " ",
  "..",
);

// Strings assembled from hostile fragments and arbitrary UTF-16 units, including lone surrogates.
const anyText = fc.oneof(fc.string({ unit: "binary" }), fc.string({ unit: fc.oneof(hostile, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })) }));

describe("no input escapes XML building", () => {
  it("every text value either round-trips exactly or is refused", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        let xml: string;
        try {
          xml = buildXml("root", { value: text, after: "end" });
        } catch (error) {
          expect(error).toBeInstanceOf(XmlBuildError);
          expect(findIllegalXmlChar(text)).not.toBeNull();
          return;
        }
        expect(findIllegalXmlChar(text)).toBeNull();
        expect(parseXml(xml)).toEqual({ root: { value: text, after: "end" } });
      }),
      { numRuns: 2000 },
    );
  });

  it("every attribute value either round-trips exactly or is refused", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        let attribute: string;
        try {
          attribute = escapeXmlAttribute(text);
        } catch (error) {
          expect(error).toBeInstanceOf(XmlBuildError);
          return;
        }
        expect(parseXml(`<root a="${attribute}">x</root>`)).toEqual({ root: { "#text": "x", "@a": text } });
      }),
      { numRuns: 2000 },
    );
  });

  it("a field name is either a valid element name that round-trips or refused, never markup", () => {
    fc.assert(
      fc.property(anyText, (name) => {
        let xml: string;
        try {
          xml = buildXml("root", { [name]: "v" });
        } catch (error) {
          expect(error).toBeInstanceOf(XmlBuildError);
          expect(isXmlName(name)).toBe(false);
          return;
        }
        expect(parseXml(xml)).toEqual({ root: { [name]: "v" } });
      }),
      { numRuns: 2000 },
    );
  });
});

describe("no input escapes URL templating", () => {
  const template = compileTemplate("https://dest.example/devices/{serial}/fields?id={id}&tag={meta.tag}#top");

  it("every value lands, encoded, exactly in its own path segment or query parameter", () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, (serial, id, tag) => {
        const result = renderUrl(template, serial, { id, meta: { tag } });
        if (!result.ok) {
          expect(result.error).toMatch(/has no value|not valid Unicode|change the URL path/);
          return;
        }
        const url = new URL(result.url);
        expect(url.origin).toBe("https://dest.example");
        const segments = url.pathname.split("/");
        expect(segments).toHaveLength(4);
        expect(segments[1]).toBe("devices");
        expect(decodeURIComponent(segments[2]!)).toBe(serial);
        expect(segments[3]).toBe("fields");
        expect([...url.searchParams.keys()]).toEqual(["id", "tag"]);
        expect(decodeURIComponent(result.url.split("?id=")[1]!.split("&tag=")[0]!)).toBe(id);
        expect(url.hash).toBe("#top");
      }),
      { numRuns: 2000 },
    );
  });

  it("numbers and booleans in the destination record are written as their text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean()), (id) => {
        const result = renderUrl(template, "s", { id, meta: { tag: "t" } });
        expect(result).toEqual({ ok: true, url: `https://dest.example/devices/s/fields?id=${encodeURIComponent(String(id))}&tag=t#top` });
      }),
    );
  });
});
