import { api } from "../lib/api";
import { Resource } from "../lib/resource.svelte";

// What run filters and the run form offer to pick from; loaded once, refreshed when a page asks.
export const credentialOptions = new Resource((signal) => api.listCredentials(signal));
export const connectionOptions = new Resource((signal) => api.listConnections(signal));

// After a credential or connection is created, renamed or deleted: lists already shown are read again, so the
// run form and filters offer it without a reload. Lists not loaded yet load fresh when first needed.
export function refreshCatalog(): void {
  for (const options of [credentialOptions, connectionOptions]) {
    if (options.state.kind !== "idle") void options.reload();
  }
}
