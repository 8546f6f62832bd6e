import { api, type ApiClient } from "../lib/api";
import { PagedList } from "../lib/paged-list.svelte";
import { EMPTY_FILTERS, runMatchesFilters, sameFilters, toRunListQuery, type RunFilters } from "../lib/run-filters";
import { runs as runStore, type RunsState } from "./runs.svelte";

export const RUN_PAGE_SIZE = 50;

// The Outbound Sync Jobs ledger: pages of run ids (their rows live in the run state), plus the runs the
// live feed brought since the list loaded that pass its filters.
export class RunList {
  filters: RunFilters = $state.raw(EMPTY_FILTERS);
  #newestLoaded: string | null = null;
  #store: RunsState;
  readonly pages: PagedList<string>;

  constructor(client: Pick<ApiClient, "runs"> = api, store: RunsState = runStore) {
    this.#store = store;
    this.pages = new PagedList<string>(async (cursor, signal) => {
      const page = await client.runs(toRunListQuery(this.filters), { cursor, limit: RUN_PAGE_SIZE }, signal);
      const ids = store.rememberAll(page.data);
      if (cursor === null) this.#newestLoaded = page.data[0]?.created_at ?? null;
      return { data: ids, next_cursor: page.next_cursor };
    });
  }

  // Loads the first page for these filters, unless they are the ones already shown.
  show(filters: RunFilters): void {
    if (sameFilters(filters, this.filters) && this.pages.first.kind !== "idle") return;
    this.filters = filters;
    void this.pages.reload();
  }

  reload(): void {
    void this.pages.reload();
  }

  // Newer than the first page and matching the filters; a reload puts them in their server-side place.
  arrivals(now: number): string[] {
    if (this.pages.first.kind !== "ready") return [];
    const loaded = new Set(this.pages.items);
    const newest = this.#newestLoaded;
    return this.#store.arrivals.filter((id) => {
      if (loaded.has(id)) return false;
      const entry = this.#store.get(id);
      if (!entry) return false;
      if (newest !== null && entry.run.created_at <= newest) return false;
      return runMatchesFilters(entry.run, entry.jobs, this.filters, now);
    });
  }
}
