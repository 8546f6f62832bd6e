import { describe, expect, it } from "vitest";
import { buildXml, escapeXmlAttribute, escapeXmlText, findIllegalXmlChar, isXmlName, parseXml, XmlBuildError, XmlParseError } from "../../worker/engine/xml";

describe("XML building", () => {
  it("escapes markup characters in text", () => {
    expect(escapeXmlText(`a & b < c > d ]]> "e" 'f'`)).toBe(`a &amp; b &lt; c &gt; d ]]&gt; "e" 'f'`);
  });

  it("escapes quotes, tabs and line breaks in attributes", () => {
    expect(escapeXmlAttribute(`"a"\t'b'\n\r&`)).toBe("&quot;a&quot;&#9;&apos;b&apos;&#10;&#13;&amp;");
  });

  it("keeps a carriage return in text as a character reference, so parsing does not fold it away", () => {
    expect(escapeXmlText("a\r\nb")).toBe("a&#13;\nb");
  });

  it("returns plain text unchanged", () => {
    const text = "plain text with ünïcödé and 😀";
    expect(escapeXmlText(text)).toBe(text);
  });

  it.each([["\u0000"], ["\u0001"], ["\u001f"], ["\uFFFE"], ["\uFFFF"], ["\uD800"], ["\uDC00x"]])("refuses %j, which XML 1.0 cannot carry", (text) => {
    expect(() => escapeXmlText(`a${text}b`)).toThrow(XmlBuildError);
    expect(findIllegalXmlChar(`a${text}b`)).not.toBeNull();
  });

  it("builds nested elements from a plain object, in key order", () => {
    const xml = buildXml("device", { name: "Pump", site: { code: "A&B", floor: 2 }, active: true, note: null });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><device><name>Pump</name><site><code>A&amp;B</code><floor>2</floor></site>' +
        "<active>true</active><note/></device>",
    );
  });

  it("writes arrays as repeated elements and leaves out undefined values", () => {
    expect(buildXml("r", { tag: ["a", "b"], gone: undefined }, { declaration: false })).toBe("<r><tag>a</tag><tag>b</tag></r>");
  });

  it("refuses a field name that would inject markup", () => {
    for (const name of ["a><script", "a b", "1a", "a:b", "", "x/"]) {
      expect(() => buildXml("r", { [name]: 1 })).toThrow(XmlBuildError);
    }
    expect(() => buildXml("bad root", {})).toThrow(XmlBuildError);
  });

  it("refuses names the parser would drop or rename to guard against prototype pollution", () => {
    for (const name of ["constructor", "prototype", "toString", "valueOf"]) {
      expect(isXmlName(name)).toBe(false);
      expect(() => buildXml("r", { [name]: 1 })).toThrow(XmlBuildError);
    }
  });

  it("refuses values that have no XML form", () => {
    expect(() => buildXml("r", { n: Number.NaN })).toThrow(XmlBuildError);
    expect(() => buildXml("r", { list: [[1]] })).toThrow(XmlBuildError);
    expect(() => buildXml("r", { f: () => 1 })).toThrow(XmlBuildError);
  });

  it("validates element names by the XML Name production", () => {
    expect(isXmlName("device-2.name_x")).toBe(true);
    expect(isXmlName("größe")).toBe(true);
    expect(isXmlName("-a")).toBe(false);
    expect(isXmlName("a@b")).toBe(false);
  });
});

describe("XML parsing", () => {
  it("keeps values as strings, including leading zeros and whitespace", () => {
    expect(parseXml("<d><serial>007</serial><n> 1.50 </n><flag>true</flag></d>")).toEqual({
      d: { serial: "007", n: " 1.50 ", flag: "true" },
    });
  });

  it("decodes the predefined entities and character references", () => {
    expect(parseXml("<a>&lt;&amp;&gt;&quot;&apos;&#65;&#x42;</a>")).toEqual({ a: "<&>\"'AB" });
  });

  it("does not expand entities declared in a DOCTYPE", () => {
    const xml = '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY boom "EXPANDED">]><a>&boom;</a>';
    expect(parseXml(xml)).toEqual({ a: "&boom;" });
  });

  it("reads attributes with an @ prefix next to the element text", () => {
    expect(parseXml('<a><b id="5">text</b></a>')).toEqual({ a: { b: { "#text": "text", "@id": "5" } } });
  });

  it("round-trips what buildXml wrote", () => {
    const value = { text: ' a & <b> ]]> "c"\r\n\t', n: 1.5, empty: "" };
    expect(parseXml(buildXml("root", value))).toEqual({ root: { text: value.text, n: "1.5", empty: "" } });
  });

  it("reports malformed XML with its position", () => {
    expect(() => parseXml("<a><b></a>")).toThrow(XmlParseError);
    expect(() => parseXml("<a><b></a>")).toThrow(/line 1/);
    expect(() => parseXml("not xml")).toThrow(XmlParseError);
  });
});
