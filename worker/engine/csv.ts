export interface CsvRow {
  line: number;
  // null for an empty unquoted field (no value); "" only when written as "".
  fields: Array<string | null>;
}

export type CsvResult = { ok: true; rows: CsvRow[] } | { ok: false; line: number; error: string };

/**
 * RFC 4180: comma-separated fields, CRLF (or LF) between records, fields in double quotes may hold
 * commas, line breaks and "" for a quote. Blank lines are skipped. Each row keeps the line it starts on.
 */
export function parseCsv(text: string): CsvResult {
  const input = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const rows: CsvRow[] = [];
  let fields: Array<string | null> = [];
  let field = "";
  let quoted = false; // the current field started with a quote
  let inQuotes = false; // inside a quoted section right now
  let afterQuote = false; // a quoted field just closed; only a delimiter may follow
  let line = 1;
  let rowLine = 1;
  let rowHasContent = false;

  const endField = () => {
    fields.push(quoted ? field : field === "" ? null : field);
    field = "";
    quoted = false;
    afterQuote = false;
  };
  const endRow = () => {
    endField();
    // A line with nothing on it is not a record.
    if (rowHasContent) rows.push({ line: rowLine, fields });
    fields = [];
    rowHasContent = false;
  };

  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
          afterQuote = true;
        }
      } else {
        if (ch === "\n") line++;
        field += ch;
      }
      continue;
    }
    if (ch === ",") {
      rowHasContent = true;
      endField();
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && input[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else if (afterQuote) {
      return { ok: false, line, error: `unexpected ${JSON.stringify(ch)} after a closing quote; a quoted field must end at a comma or line end` };
    } else if (ch === '"') {
      if (field !== "") {
        return { ok: false, line, error: 'a quote inside an unquoted field; put the whole field in quotes and write a quote as ""' };
      }
      quoted = true;
      inQuotes = true;
      rowHasContent = true;
    } else {
      field += ch;
      rowHasContent = true;
    }
  }
  if (inQuotes) return { ok: false, line: rowLine, error: "a quoted field is never closed" };
  if (rowHasContent || field !== "") endRow();
  return { ok: true, rows };
}
