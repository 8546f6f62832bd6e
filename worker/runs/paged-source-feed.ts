import type { ReadRecord } from "../engine/paged-reader";
import type { SourcePage } from "../engine/source-reader";
import type { SourceProgress } from "./coordinator-store";
import { sourcePageSkipped } from "./run-log";
import { latestOf, type FeedStep } from "./source-feed";

type PagedProgress = Extract<SourceProgress, { kind: "http" }>;

// A page's records, each serial once (a page that repeats a serial keeps its last record).
export function distinctRecords(page: SourcePage | null): ReadRecord[] {
  return page === null ? [] : [...new Map(page.records.map((r) => [r.serial, r])).values()];
}

export interface PageContext {
  // Serials no earlier page of this job returned (a source may repeat a serial across pages).
  fresh: ReadonlySet<string>;
  // Serials on last run's retry list: in scope whatever their updated-at says.
  retries: ReadonlySet<string>;
  // Records taken into scope before this page.
  keptBefore: number;
  maxSeenMs: number | null;
}

// One page of an HTTP source (null: the source returned no page). With a cursor filter only records changed
// after it, or on the retry list, are queued; a record without a readable updated-at is kept.
export function takeSourcePage(source: PagedProgress, page: SourcePage | null, records: readonly ReadRecord[], context: PageContext): FeedStep<PagedProgress> {
  const { filter } = source;
  const kept = records.filter((r) => {
    if (!context.fresh.has(r.serial)) return false;
    if (filter === null || context.retries.has(r.serial)) return true;
    const at = updatedAtMs(r);
    return Number.isNaN(at) || at > filter.afterMs;
  });
  let latest = context.maxSeenMs;
  for (const r of records) {
    const at = updatedAtMs(r);
    if (!Number.isNaN(at)) latest = latestOf(latest, at);
  }
  const last = page === null || page.nextState === null;
  // A complete read's scope is the size the source announces (X-Total-Count) until the last page gives the count.
  const announced = source.state === null && source.since === null && filter === null;
  const reported = announced ? (page?.total ?? null) : source.reported_total;
  const keptSoFar = context.keptBefore + kept.length;
  return {
    queue: kept.map((r) => ({ serial: r.serial, record_json: JSON.stringify(r.record) })),
    source: {
      ...source,
      ...(announced ? { reported_total: reported } : {}),
      kept: keptSoFar,
      state: page?.nextState ?? null,
      done: last,
    },
    maxSeenMs: latest,
    inScope: last ? keptSoFar : Math.max(reported ?? 0, keptSoFar),
    logs: page !== null && page.unreadable.length > 0 ? [sourcePageSkipped(page.fetch.url, page.unreadable)] : [],
  };
}

function updatedAtMs(record: ReadRecord): number {
  return record.updatedAt === undefined ? Number.NaN : Date.parse(record.updatedAt);
}
