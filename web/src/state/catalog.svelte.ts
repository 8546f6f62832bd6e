import { configApi } from "../lib/config-api";
import { Resource } from "../lib/resource.svelte";

// What run filters and the run form offer to pick from; loaded once, refreshed when a page asks.
export const credentialOptions = new Resource((signal) => configApi.listCredentials(signal));
export const connectionOptions = new Resource((signal) => configApi.listConnections(signal));
