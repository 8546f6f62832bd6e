// Decoded chunks kept per isolate, least recently used out first, so paging through a job or tailing its
// logs decompresses each chunk once. Bounded by entries held, not by chunks: one chunk may hold a slice of
// a few records or of thousands.

export class ChunkCache {
  readonly #entries = new Map<string, readonly unknown[]>();
  #held = 0;

  constructor(readonly maxEntries: number) {}

  async get<T>(key: string, load: () => Promise<readonly T[]>): Promise<readonly T[]> {
    const cached = this.#entries.get(key);
    if (cached) {
      this.#entries.delete(key);
      this.#entries.set(key, cached);
      return cached as readonly T[];
    }
    const value = await load();
    if (weight(value) > this.maxEntries) return value;
    this.#entries.set(key, value);
    this.#held += weight(value);
    for (const [oldest, entries] of this.#entries) {
      if (this.#held <= this.maxEntries) break;
      this.#entries.delete(oldest);
      this.#held -= weight(entries);
    }
    return value;
  }

  get held(): number {
    return this.#held;
  }
}

// An empty chunk still takes a slot, so the number of chunks held is bounded too.
const weight = (entries: readonly unknown[]) => Math.max(1, entries.length);

// About 200,000 outcomes or log lines: tens of MB at most, well inside an isolate's 128 MB.
export const sharedChunkCache = new ChunkCache(200_000);
