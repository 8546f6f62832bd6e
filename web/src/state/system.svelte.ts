import { api } from "../lib/api";
import { Resource } from "../lib/resource.svelte";

// The worker's own health: D1, migrations, sandbox and scheduler ticks.
export const health = new Resource((signal) => api.health(signal));
