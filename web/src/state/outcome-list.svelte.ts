import { asApiError, downloadFile, type ApiError } from "../lib/api";
import { PagedList } from "../lib/paged-list.svelte";
import type { RecordAction } from "../lib/run-types";
import type { Page } from "../../../worker/schemas/types";

export interface OutcomeFilters {
  action?: RecordAction;
  serial?: string;
}

export interface OutcomeSource<T, P extends Page<T>> {
  page(filters: OutcomeFilters, cursor: string | null, signal: AbortSignal): Promise<P>;
  csv(filters: OutcomeFilters): Promise<string>;
  filename: string;
}

// Per-serial outcomes filtered by one action and a serial prefix, paged, with every match as a CSV file: a job's
// records and a connection's serials.
export class OutcomeList<T, P extends Page<T> = Page<T>> {
  action: RecordAction | null = $state(null);
  serial = $state("");
  exporting = $state(false);
  exportError: ApiError | null = $state(null);
  readonly pages: PagedList<T>;
  readonly #source: OutcomeSource<T, P>;

  constructor(source: OutcomeSource<T, P>, action: RecordAction | null = null) {
    this.#source = source;
    this.action = action;
    this.pages = new PagedList(async (cursor, signal) => {
      const page = await source.page(this.#filters(), cursor, signal);
      this.received(page);
      return page;
    });
  }

  /** Each page as it arrives, for what a subclass keeps beside the items. */
  protected received(_page: P): void {}

  show(action: RecordAction | null, serial: string): void {
    this.action = action;
    this.serial = serial.trim();
    void this.pages.reload();
  }

  async exportCsv(): Promise<void> {
    this.exporting = true;
    this.exportError = null;
    try {
      downloadFile(await this.#source.csv(this.#filters()), this.#source.filename, "text/csv");
    } catch (error) {
      this.exportError = asApiError(error);
    } finally {
      this.exporting = false;
    }
  }

  #filters(): OutcomeFilters {
    return { action: this.action ?? undefined, serial: this.serial === "" ? undefined : this.serial };
  }
}
