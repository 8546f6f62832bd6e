import { api } from "../lib/api";
import { PagedList } from "../lib/paged-list.svelte";
import type { ConnectionSummary } from "../../../worker/schemas/types";

const PAGE_SIZE = 100;

export const connections = new PagedList<ConnectionSummary>((cursor, signal) => api.connections({ cursor, limit: PAGE_SIZE }, signal));
