import { XMLParser, XMLValidator } from "fast-xml-parser";
import { errorMessage } from "../../shared/lang";

// XML 1.0 (5th edition) Name production without ":" — a colon would name an undeclared namespace.
const NAME_START =
  "A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D" +
  "\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD";
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, "u");
const ILLEGAL_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const MAX_DEPTH = 64;

export class XmlBuildError extends Error {
  override readonly name = "XmlBuildError";
}

export class XmlParseError extends Error {
  override readonly name = "XmlParseError";
}

// Names the parser refuses or renames to guard against prototype pollution could never be read back.
const RESERVED_NAMES = new Set([
  "__proto__",
  "constructor",
  "prototype",
  "hasOwnProperty",
  "toString",
  "valueOf",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__",
]);

// Astral-plane name characters are legal XML but refused by common parsers, so names stay in the BMP.
export function isXmlName(name: string): boolean {
  return XML_NAME.test(name) && !RESERVED_NAMES.has(name);
}

// Returns the first code point XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF).
export function findIllegalXmlChar(value: string): number | null {
  const match = ILLEGAL_XML_CHAR.exec(value);
  return match === null ? null : match[0].codePointAt(0)!;
}

export function describeCodePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
}

// One pass over char codes: plain text is returned as is, without allocating.
export function escapeXmlText(value: string): string {
  return escape(value, false);
}

// Attribute values also escape quotes and the whitespace that attribute normalisation would fold into spaces.
export function escapeXmlAttribute(value: string): string {
  return escape(value, true);
}

function escape(value: string, attribute: boolean): string {
  let out = "";
  let last = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    let replacement: string;
    if (c >= 0x20 && c < 0xd800) {
      if (c === 38) replacement = "&amp;";
      else if (c === 60) replacement = "&lt;";
      else if (c === 62) replacement = "&gt;";
      else if (attribute && c === 34) replacement = "&quot;";
      else if (attribute && c === 39) replacement = "&apos;";
      else continue;
    } else if (c === 13) {
      replacement = "&#13;";
    } else if (c === 10 || c === 9) {
      if (!attribute) continue;
      replacement = c === 10 ? "&#10;" : "&#9;";
    } else if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      throw illegalCharacter(c);
    } else if (c >= 0xe000 && c <= 0xfffd) {
      continue;
    } else {
      throw illegalCharacter(c);
    }
    out += value.slice(last, i) + replacement;
    last = i + 1;
  }
  return last === 0 ? value : out + value.slice(last);
}

function illegalCharacter(c: number): XmlBuildError {
  return new XmlBuildError(`character ${describeCodePoint(c)} cannot be represented in XML 1.0`);
}

// Validated names are remembered so a hot loop over the same mapping runs the Name regex once per name.
const knownNames = new Set<string>();
const KNOWN_NAMES_LIMIT = 4096;

function elementName(name: string): string {
  if (knownNames.has(name)) return name;
  if (!isXmlName(name)) throw new XmlBuildError(`"${name}" is not a valid XML element name`);
  if (knownNames.size < KNOWN_NAMES_LIMIT) knownNames.add(name);
  return name;
}

export interface BuildXmlOptions {
  declaration?: boolean;
}

export function buildXml(root: string, value: unknown, options: BuildXmlOptions = {}): string {
  const head = options.declaration === false ? "" : '<?xml version="1.0" encoding="UTF-8"?>';
  return head + element(elementName(root), value, 0);
}

// Appends one element; undefined values produce no element, null an empty one.
function element(name: string, value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new XmlBuildError(`value nested deeper than ${MAX_DEPTH} levels`);
  switch (typeof value) {
    case "string":
      return value === "" ? `<${name}/>` : `<${name}>${escape(value, false)}</${name}>`;
    case "number":
      if (!Number.isFinite(value)) throw new XmlBuildError(`element <${name}>: ${value} is not a finite number`);
      return `<${name}>${value}</${name}>`;
    case "boolean":
    case "bigint":
      return `<${name}>${value}</${name}>`;
    case "undefined":
      return "";
    case "object": {
      if (value === null) return `<${name}/>`;
      if (Array.isArray(value)) throw new XmlBuildError(`element <${name}>: nested arrays cannot be represented`);
      if (value instanceof Date) return element(name, value.toISOString(), depth);
      return `<${name}>${children(value as Record<string, unknown>, depth + 1)}</${name}>`;
    }
    default:
      throw new XmlBuildError(`element <${name}>: a ${typeof value} cannot be represented`);
  }
}

function children(value: Record<string, unknown>, depth: number): string {
  let out = "";
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const child = value[key];
    const name = elementName(key);
    if (Array.isArray(child)) {
      for (let i = 0; i < child.length; i++) out += element(name, child[i], depth);
    } else {
      out += element(name, child, depth);
    }
  }
  return out;
}

const PREDEFINED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const ENTITY_REFERENCE = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g;

// Only the five predefined entities and character references are expanded; DOCTYPE entities are ignored,
// so no response can expand into something large or pull in external content.
const safeEntityDecoder = {
  setExternalEntities(): void {},
  addInputEntities(): void {},
  reset(): void {},
  setXmlVersion(): void {},
  decode(text: string): string {
    if (text.indexOf("&") === -1) return text;
    return text.replace(ENTITY_REFERENCE, (whole, body: string) => {
      if (body.charCodeAt(0) !== 35) return PREDEFINED[body] ?? whole;
      const cp = body.charCodeAt(1) === 120 ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (cp > 0x10ffff) return whole;
      const char = String.fromCodePoint(cp);
      return ILLEGAL_XML_CHAR.test(char) ? whole : char;
    });
  },
};

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  textNodeName: "#text",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  entityDecoder: safeEntityDecoder,
});

// Values stay strings: comparison formats them with the rule's formatter, so "007" is never read as 7.
export function parseXml(text: string): Record<string, unknown> {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    const where = typeof col === "number" ? `line ${line}, column ${col}` : `line ${line}`;
    throw new XmlParseError(`invalid XML at ${where}: ${msg}`);
  }
  try {
    return parser.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new XmlParseError(`invalid XML: ${errorMessage(error)}`);
  }
}
