// Form text for literal values and enum tables, read the same way whichever direction the editor converts.

// Literals as a person would type them: true, 42, null, "quoted text"; anything else is text.
const LITERAL = /^(true|false|null|-?\d+(\.\d+)?|".*")$/;

export function literalText(value: unknown): string {
  return typeof value === "string" && !LITERAL.test(value) ? value : JSON.stringify(value);
}

export function parseLiteral(text: string): string | number | boolean | null {
  const trimmed = text.trim();
  if (LITERAL.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as string | number | boolean | null;
    } catch {
      return trimmed; // an unbalanced quote is just text
    }
  }
  return text;
}

export function mapTableText(map: Record<string, unknown> | undefined): string {
  return Object.entries(map ?? {})
    .map(([from, to]) => `${from} = ${literalText(to)}`)
    .join("\n");
}

// One "source = destination" pair per line; blank lines are ignored.
export function parseMapTable(text: string): Record<string, string | number | boolean | null> {
  const table: Record<string, string | number | boolean | null> = {};
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const at = line.indexOf("=");
    const from = (at === -1 ? line : line.slice(0, at)).trim();
    const to = at === -1 ? "" : line.slice(at + 1).trim();
    table[from] = parseLiteral(to);
  }
  return table;
}
