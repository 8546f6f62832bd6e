import { api, type ConnectionSerialPage } from "../lib/api";
import { OutcomeList } from "./outcome-list.svelte";
import { ACTIONS_WORST_FIRST } from "../../../shared/outcome-order";
import type { RecordAction } from "../lib/run-types";

export type ConnectionSerial = ConnectionSerialPage["data"][number];

const PAGE_SIZE = 25;

// A connection's serials by their latest outcome: the action and prefix filters, and the counts the first page brings.
export class ConnectionSerialsState extends OutcomeList<ConnectionSerial, ConnectionSerialPage> {
  counts: ConnectionSerialPage["counts"] = $state(null);
  countCap = $state(0);

  constructor(connectionId: string, action: RecordAction | null = null) {
    super(
      {
        page: (filters, cursor, signal) => api.connectionSerials(connectionId, filters, { cursor, limit: PAGE_SIZE, signal }),
        csv: (filters) => api.connectionSerialsCsv(connectionId, filters),
        filename: `${connectionId}-serials.csv`,
      },
      action,
    );
  }

  protected override received({ counts, count_cap }: ConnectionSerialPage): void {
    if (counts === null) return;
    this.counts = counts;
    this.countCap = count_cap;
  }

  /** The actions some serial holds now, failures first, each with its count. */
  get tally(): Array<{ action: RecordAction; count: number }> {
    const counts = this.counts;
    if (counts === null) return [];
    return ACTIONS_WORST_FIRST.filter((action) => counts[action] > 0).map((action) => ({ action, count: counts[action] }));
  }
}
