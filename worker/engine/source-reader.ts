import type { SourceContract } from "./contracts";
import type { HttpClient } from "./http-client";
import { initialPageState, pagedReadSpec, readRecordPages, type PageState, type RecordPage } from "./paged-reader";

export type HttpSourceContract = Extract<SourceContract, { kind: "http" }>;

// `since` is part of the state so a resumed read keeps asking for the same window.
export interface SourceReadState {
  page: PageState;
  since: string | null;
}

export interface SourcePage extends Omit<RecordPage, "nextState"> {
  nextState: SourceReadState | null;
}

export interface ReadSourceOptions {
  client: HttpClient;
  contract: HttpSourceContract;
  // Where to start: a fresh read (optionally incremental from a cursor) or a checkpointed state.
  start: { since?: string | null } | { resume: SourceReadState };
  signal?: AbortSignal;
  // The connection's limits.max_pages; the default limit when absent.
  maxPages?: number;
}

export function startSourceRead(contract: HttpSourceContract, since: string | null = null): SourceReadState {
  return { page: initialPageState(contract.pagination), since };
}

export async function* readSourcePages(options: ReadSourceOptions): AsyncGenerator<SourcePage, void, undefined> {
  const { client, contract, signal } = options;
  const state = "resume" in options.start ? options.start.resume : startSourceRead(contract, options.start.since ?? null);
  // A source without since_param cannot filter, so the read is complete and that is safe.
  const query = state.since !== null && contract.since_param !== undefined ? { [contract.since_param]: state.since } : undefined;
  const pages = readRecordPages(
    client,
    pagedReadSpec("source", contract, { updated_at_path: contract.updated_at_path, query, max_pages: options.maxPages }),
    state.page,
    signal,
  );
  for await (const page of pages) {
    yield { ...page, nextState: page.nextState === null ? null : { page: page.nextState, since: state.since } };
  }
}
