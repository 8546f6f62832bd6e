import { TimeInputError, TimeRangeOrderError } from "../stats/time-range";
import { log } from "../observability/log";

/** A problem with the agent's arguments; its message goes back as the tool's error result. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ToolInputError";
  }
}

/**
 * Argument problems keep their message so the agent can correct itself; anything else is our fault,
 * logged for `wrangler tail` and reported without internals.
 */
export function toToolError(toolName: string, err: unknown): Error {
  if (err instanceof ToolInputError) return err;
  if (err instanceof TimeInputError || err instanceof TimeRangeOrderError) return new ToolInputError(`${err.field}: ${err.message}`);
  log.error("mcp tool failed", { tool: toolName, error: err });
  return new Error(`${toolName} failed on the server; the failure was logged. Try again, or narrow the time range.`);
}
