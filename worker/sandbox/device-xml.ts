import { XMLParser, XMLValidator } from "fast-xml-parser";

// Tag values stay text: "007" must not turn into 7 before the field rules see it.
const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
});

export type ParsedXml = { ok: true; fields: Record<string, unknown> } | { ok: false; message: string };

export function parseRootElement(text: string, root: string): ParsedXml {
  const valid = XMLValidator.validate(text);
  if (valid !== true) return { ok: false, message: `malformed XML: ${valid.err.msg} (line ${valid.err.line})` };
  const doc = parser.parse(text) as Record<string, unknown>;
  const roots = Object.keys(doc);
  if (roots.length !== 1 || roots[0] !== root) {
    return { ok: false, message: `expected one <${root}> root element, got ${roots.map((r) => `<${r}>`).join(", ") || "none"}` };
  }
  const body = doc[root];
  // <device/> and <device></device> parse to "": an update that names no fields.
  if (body === "") return { ok: true, fields: {} };
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, message: `<${root}> must contain field elements, not text` };
  }
  return { ok: true, fields: body as Record<string, unknown> };
}

export function toXmlDocument(root: string, record: Record<string, unknown>): string {
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<${root}>`;
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    out += value === null ? `<${key}/>` : `<${key}>${escapeText(String(value))}</${key}>`;
  }
  return `${out}</${root}>\n`;
}

function escapeText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
