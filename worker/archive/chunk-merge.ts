// Reads a job's chunks as one sequence ordered by key (serial or seq), opening a chunk only when the
// merge reaches its first key, so a reader that stops after a page never loads the chunks beyond it.
// Chunks may overlap (a flush replayed after a crash, a record retried in a later slice): on a key found
// in several chunks the highest chunk wins, as archive-index.ts says.

export interface ChunkSpan<K> {
  chunk: number;
  first: K;
  last: K;
}

export interface MergeOptions<T, K, S extends ChunkSpan<K>> {
  spans: readonly S[];
  /** The chunk's entries, sorted by key. */
  load: (span: S) => Promise<readonly T[]>;
  keyOf: (entry: T) => K;
  compare: (a: K, b: K) => number;
  /** Monotone: false for keys before the range read, then true. */
  reached: (key: K) => boolean;
  /** Monotone: true for keys past the end of the range read. */
  past: (key: K) => boolean;
}

interface Cursor<T, S> {
  span: S;
  entries: readonly T[];
  at: number;
}

export async function* mergeChunks<T, K, S extends ChunkSpan<K>>(options: MergeOptions<T, K, S>): AsyncGenerator<T> {
  const { compare, keyOf } = options;
  const pending = [...options.spans].sort((a, b) => compare(a.first, b.first) || a.chunk - b.chunk);
  let open: Array<Cursor<T, S>> = [];
  for (;;) {
    let least = smallestHead(open, keyOf, compare);
    while (pending.length > 0 && (least === undefined || compare(pending[0]!.first, least) <= 0)) {
      const span = pending.shift()!;
      if (least === undefined && options.past(span.first)) return;
      const entries = await options.load(span);
      const at = firstReached(entries, (entry) => options.reached(keyOf(entry)));
      if (at >= entries.length) continue;
      open.push({ span, entries, at });
      const head = keyOf(entries[at]!);
      if (least === undefined || compare(head, least) < 0) least = head;
    }
    if (least === undefined || options.past(least)) return;
    let winner: { entry: T; chunk: number } | null = null;
    for (const cursor of open) {
      while (cursor.at < cursor.entries.length && compare(keyOf(cursor.entries[cursor.at]!), least) === 0) {
        if (winner === null || cursor.span.chunk >= winner.chunk) winner = { entry: cursor.entries[cursor.at]!, chunk: cursor.span.chunk };
        cursor.at += 1;
      }
    }
    open = open.filter((cursor) => cursor.at < cursor.entries.length);
    if (winner !== null) yield winner.entry;
  }
}

function smallestHead<T, K, S>(open: ReadonlyArray<Cursor<T, S>>, keyOf: (entry: T) => K, compare: (a: K, b: K) => number): K | undefined {
  let least: K | undefined;
  for (const cursor of open) {
    const head = keyOf(cursor.entries[cursor.at]!);
    if (least === undefined || compare(head, least) < 0) least = head;
  }
  return least;
}

function firstReached<T>(entries: readonly T[], reached: (entry: T) => boolean): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (reached(entries[mid]!)) high = mid;
    else low = mid + 1;
  }
  return low;
}

/**
 * The chunks a filtered read must open: those whose range and counts can hold a match, and every higher
 * chunk overlapping one of them, since its version of a key wins even when it does not match itself.
 */
export function spansToRead<K, S extends ChunkSpan<K>>(
  spans: readonly S[],
  compare: (a: K, b: K) => number,
  inRange: (span: S) => boolean,
  mayMatch: (span: S) => boolean,
): S[] {
  const ranged = spans.filter(inRange);
  const matching = ranged.filter(mayMatch);
  const overlaps = (a: S, b: S) => compare(a.first, b.last) <= 0 && compare(b.first, a.last) <= 0;
  return ranged.filter((span) => matching.includes(span) || matching.some((match) => match.chunk < span.chunk && overlaps(match, span)));
}
