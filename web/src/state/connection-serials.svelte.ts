import { api, asApiError, downloadFile, type ApiError, type ConnectionSerialPage } from "../lib/api";
import { PagedList } from "../lib/paged-list.svelte";
import { ACTIONS_WORST_FIRST } from "../../../shared/outcome-order";
import type { RecordAction } from "../lib/run-types";

export type ConnectionSerial = ConnectionSerialPage["data"][number];

const PAGE_SIZE = 25;

// A connection's serials by their latest outcome: the action and prefix filters, and the counts the first page brings.
export class ConnectionSerialsState {
  action: RecordAction | null = $state(null);
  serial = $state("");
  counts: ConnectionSerialPage["counts"] = $state(null);
  countCap = $state(0);
  exporting = $state(false);
  exportError: ApiError | null = $state(null);
  readonly pages: PagedList<ConnectionSerial>;
  readonly #connectionId: string;

  constructor(connectionId: string, action: RecordAction | null = null) {
    this.#connectionId = connectionId;
    this.action = action;
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
    return ACTIONS_WORST_FIRST.filter((action) => counts[action] > 0).map((action) => ({ action, count: counts[action] }));
  }

  show(action: RecordAction | null, serial: string): void {
    this.action = action;
    this.serial = serial.trim();
    void this.pages.reload();
  }

  /** Every serial the filters match, as the file a spreadsheet opens. */
  async exportCsv(): Promise<void> {
    this.exporting = true;
    this.exportError = null;
    try {
      downloadFile(await api.connectionSerialsCsv(this.#connectionId, this.#filters()), `${this.#connectionId}-serials.csv`, "text/csv");
    } catch (error) {
      this.exportError = asApiError(error);
    } finally {
      this.exporting = false;
    }
  }

  #filters() {
    return { action: this.action ?? undefined, serial: this.serial === "" ? undefined : this.serial };
  }
}
