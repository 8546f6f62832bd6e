import { api, asApiError, isAbort, type ApiClient } from "../lib/api";
import type { RunListFilters } from "../lib/api";
import type { BulkRunAction, BulkRunPreview, BulkRunResult } from "../../../worker/schemas/bulk-runs";

type Client = Pick<ApiClient, "previewBulkRuns" | "bulkCancelRuns" | "bulkRerunRuns">;

export const BULK_VERB: Record<BulkRunAction, string> = { cancel: "Cancel", rerun: "Rerun" };
const DONE_VERB: Record<BulkRunAction, string> = { cancel: "Canceled", rerun: "Rerun" };

// "Cancel N matching runs" / "Rerun N matching runs" on the Jobs page: how many runs each action would touch
// for the filters shown, and the action itself, sent with the count the person confirmed.
export class BulkRuns {
  previews: Partial<Record<BulkRunAction, BulkRunPreview>> = $state({});
  busy: BulkRunAction | null = $state(null);
  message: string | null = $state(null);
  #filters: RunListFilters = {};
  #controller: AbortController | null = null;
  #client: Client;

  constructor(client: Client = api) {
    this.#client = client;
  }

  async count(filters: RunListFilters): Promise<void> {
    this.#filters = filters;
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    try {
      const [cancel, rerun] = await Promise.all(
        (["cancel", "rerun"] as const).map((action) => this.#client.previewBulkRuns({ ...filters, action }, controller.signal)),
      );
      if (this.#controller === controller) this.previews = { cancel, rerun };
    } catch (error) {
      if (isAbort(error) || this.#controller !== controller) return;
      this.previews = {};
      this.message = `Could not count the matching runs: ${asApiError(error).message}`;
    }
  }

  async run(action: BulkRunAction): Promise<BulkRunResult | null> {
    const expected = this.previews[action]?.count ?? 0;
    if (expected === 0 || this.busy !== null) return null;
    this.busy = action;
    this.message = null;
    try {
      const body = { ...this.#filters, expected_count: expected };
      const result = action === "cancel" ? await this.#client.bulkCancelRuns(body) : await this.#client.bulkRerunRuns(body);
      const skipped = result.skipped.length > 0 ? `; ${result.skipped.length} skipped (${result.skipped[0]!.message})` : "";
      this.message = `${DONE_VERB[action]} ${result.done.length} ${result.done.length === 1 ? "run" : "runs"}${skipped}.`;
      return result;
    } catch (error) {
      const apiError = asApiError(error);
      this.message = apiError.code === "count_changed" ? `${apiError.message} Check the new count and try again.` : apiError.message;
      return null;
    } finally {
      this.busy = null;
      await this.count(this.#filters);
    }
  }
}
