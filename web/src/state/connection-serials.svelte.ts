import { api, type ConnectionSerialPage } from "../lib/api";
import { PagedList } from "../lib/paged-list.svelte";
import { RECORD_ACTIONS } from "../lib/record-actions";
import type { RecordAction } from "../lib/run-types";

export type ConnectionSerial = ConnectionSerialPage["data"][number];

const PAGE_SIZE = 25;
// Failures and gaps first: what an operator opens this list for. A Record, so a new action must be given a place.
const COUNT_RANK: Record<RecordAction, number> = {
  failed: 0,
  verify_mismatch: 1,
  drifted: 2,
  missing_destination: 3,
  missing_source: 4,
  would_update: 5,
  updated: 6,
  verified: 7,
  skipped_rule: 8,
  skipped_no_change: 9,
};
const COUNT_ORDER = [...RECORD_ACTIONS].sort((a, b) => COUNT_RANK[a] - COUNT_RANK[b]);

// A connection's serials by their latest outcome: the action and prefix filters, and the counts the first page brings.
export class ConnectionSerialsState {
  action: RecordAction | null = $state(null);
  serial = $state("");
  counts: ConnectionSerialPage["counts"] = $state(null);
  countCap = $state(0);
  readonly pages: PagedList<ConnectionSerial>;

  constructor(connectionId: string) {
    this.pages = new PagedList(async (cursor, signal) => {
      const page = await api.connectionSerials(connectionId, this.#filters(), { cursor, limit: PAGE_SIZE, signal });
      if (page.counts !== null) {
        this.counts = page.counts;
        this.countCap = page.count_cap;
      }
      return page;
    });
  }

  /** The actions some serial holds now, failures first, each with its count. */
  get tally(): Array<{ action: RecordAction; count: number }> {
    const counts = this.counts;
    if (counts === null) return [];
    return COUNT_ORDER.filter((action) => counts[action] > 0).map((action) => ({ action, count: counts[action] }));
  }

  show(action: RecordAction | null, serial: string): void {
    this.action = action;
    this.serial = serial.trim();
    void this.pages.reload();
  }

  #filters() {
    return { action: this.action ?? undefined, serial: this.serial === "" ? undefined : this.serial };
  }
}
