import { api, asApiError, type ApiError, type DestinationBreakerView } from "../lib/api";
import { Resource } from "../lib/resource.svelte";

// The destination breakers the dashboard warns about: those open or probing, read when the dashboard opens and
// again when a job shown there starts or stops waiting on one; an operator may reset one.
class DestinationBreakersState {
  readonly list = new Resource((signal) => api.destinationBreakers(signal));
  resetting = $state<string | null>(null);
  resetError = $state<ApiError | null>(null);

  readonly failing: DestinationBreakerView[] = $derived(
    this.list.state.kind === "ready" ? this.list.state.data.breakers.filter((b) => b.state !== "closed") : [],
  );

  reload(): void {
    void this.list.reload();
  }

  async reset(host: string): Promise<void> {
    this.resetting = host;
    this.resetError = null;
    try {
      await api.resetDestinationBreaker(host);
      await this.list.reload();
    } catch (error) {
      this.resetError = asApiError(error);
    } finally {
      this.resetting = null;
    }
  }
}

export const destinationBreakers = new DestinationBreakersState();
