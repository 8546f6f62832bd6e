// Plain-text tables for people: a header row, columns padded to their widest cell, numbers aligned right.
export interface Column<Row> {
  header: string;
  value(row: Row): string;
  align?: "left" | "right";
}

export function formatTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((column) => oneLine(column.value(row))));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => line[i]!.length)));
  const render = (line: readonly string[]) =>
    line
      .map((cell, i) => (columns[i]!.align === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join("\n") + "\n";
}

// A cell is one line, so a message with line breaks cannot break the table's rows.
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ⏎ ");
}

// A JSON value as a cell: strings as they are, everything else as JSON; absent as an empty cell.
export function cellValue(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}
