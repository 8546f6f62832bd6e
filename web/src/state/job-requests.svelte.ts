import { api } from "../lib/api";
import { PagedList } from "../lib/paged-list.svelte";
import { NO_REQUEST_FILTERS, sameRequestFilters, type RequestEntry, type RequestFilters } from "../lib/request-log";

const REQUEST_PAGE_SIZE = 100;

// The job's request log under the filters the address holds; kept current while the job runs by reading the
// last page again each time the live feed reports the job's progress.
export class JobRequestsState {
  filters: RequestFilters = $state.raw(NO_REQUEST_FILTERS);
  readonly pages: PagedList<RequestEntry>;
  readonly jobId: string;

  constructor(jobId: string) {
    this.jobId = jobId;
    this.pages = new PagedList((cursor, signal) => api.jobRequests(jobId, this.filters, { cursor, limit: REQUEST_PAGE_SIZE }, signal));
  }

  // Reads the first page when the filters changed (or nothing was read yet).
  show(filters: RequestFilters): void {
    if (this.pages.first.kind !== "idle" && sameRequestFilters(filters, this.filters)) return;
    this.filters = filters;
    void this.pages.reload();
  }

  progressed(): void {
    void this.pages.refreshTail();
  }
}
