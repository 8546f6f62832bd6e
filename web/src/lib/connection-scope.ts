import type { ConnectionSummary } from "../../../worker/schemas/types";

/**
 * How a rule's or a webhook channel's connection scope reads. Deleting a connection takes it out of every scope, so
 * an empty scope is one whose connections were all deleted, and an id missing from the loaded list one deleted since
 * the list was read; while the list loads (null) only the count is known.
 */
export function connectionScopeText(ids: readonly string[] | null, connections: readonly ConnectionSummary[] | null): string {
  if (ids === null) return "All connections";
  if (connections === null) return `${ids.length} ${ids.length === 1 ? "connection" : "connections"}`;
  const names = new Map(connections.map((connection) => [connection.id, connection.name]));
  const known = ids.flatMap((id) => names.get(id) ?? []);
  const deleted = ids.length - known.length;
  if (known.length === 0) return "None: its connections were deleted";
  return deleted === 0 ? known.join(", ") : `${known.join(", ")}, and ${deleted} deleted`;
}
