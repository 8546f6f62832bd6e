import { integerOption } from "./command";
import type { RecordAction } from "./words";

// `jobs records` and `connections serials` page outcomes the same way: one action, a serial prefix, a cursor, up to
// 500 a page. Only the options given go into the query.
export function outcomeQuery(options: { action?: string; serial?: string; cursor?: string; limit?: string }) {
  return {
    ...(options.action === undefined ? {} : { action: options.action as RecordAction }),
    ...(options.serial === undefined ? {} : { serial: options.serial }),
    ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    ...(options.limit === undefined ? {} : { limit: integerOption(options.limit, "limit", 1, 500) }),
  };
}
