// D1 reports a UNIQUE conflict only in its error text, sometimes in the cause; `columns` names the table.column or index.
export function isUniqueViolation(error: unknown, columns: string): boolean {
  const text = error instanceof Error ? `${error.message} ${String(error.cause ?? "")}` : String(error);
  return /UNIQUE constraint failed/i.test(text) && text.includes(columns);
}
