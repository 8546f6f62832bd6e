// Each guarded outbox insert is tagged with the event id it writes, so a writer learns from its batch's own
// results which events landed and puts exactly those on the alerts queue, without reading the outbox back.
const eventIds = new WeakMap<D1PreparedStatement, string>();

export function tagEvent(statement: D1PreparedStatement, eventId: string): D1PreparedStatement {
  eventIds.set(statement, eventId);
  return statement;
}

/** The ids of the events a committed batch wrote (a guarded insert that changed no row wrote none), in outbox order. */
export function writtenEventIds(statements: readonly D1PreparedStatement[], results: readonly D1Result[]): string[] {
  return statements.flatMap((statement, i) => {
    const id = eventIds.get(statement);
    return id !== undefined && (results[i]?.meta.changes ?? 0) > 0 ? [id] : [];
  });
}
