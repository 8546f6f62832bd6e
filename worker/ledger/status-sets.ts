import { ACTIVE_STATUSES, TERMINAL_STATUSES } from "../schemas/vocabulary";

// The vocabulary's status sets as SQL lists, so a query says "active" or "terminal" instead of spelling them out.
const sqlList = (values: readonly string[]) => `(${values.map((value) => `'${value}'`).join(", ")})`;

/** ('pending', 'running') */
export const ACTIVE_SQL = sqlList(ACTIVE_STATUSES);
/** ('completed', 'failed', 'canceled') */
export const TERMINAL_SQL = sqlList(TERMINAL_STATUSES);
