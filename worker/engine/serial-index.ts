// Destination records of a list-mode lookup, keyed by serial. The coordinator stores it in Durable Object
// SQLite so memory holds one page or slice at a time, never the whole fleet.
export interface SerialIndex {
  put(entries: Array<[serial: string, record: unknown]>): Promise<void>;
  getMany(serials: string[]): Promise<Map<string, unknown>>;
}

export interface MemorySerialIndex extends SerialIndex {
  readonly size: number;
}

export function createMemorySerialIndex(): MemorySerialIndex {
  const records = new Map<string, unknown>();
  return {
    get size() {
      return records.size;
    },
    async put(entries) {
      for (const [serial, record] of entries) records.set(serial, record);
    },
    async getMany(serials) {
      const found = new Map<string, unknown>();
      for (const serial of serials) {
        if (records.has(serial)) found.set(serial, records.get(serial));
      }
      return found;
    },
  };
}
