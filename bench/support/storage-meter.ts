/// <reference types="node" />
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { WranglerWorker } from "./wrangler-worker";

// What the worker has stored, read without knowing its layout: every table and index of every persisted D1
// database (SQLite's dbstat, opened read-only beside workerd), every object of every R2 bucket binding, and the
// Durable Objects' files on disk. Two snapshots subtract into the growth between them.

export interface TableSize {
  /** Bytes of the table's and its indexes' pages that hold data (page size minus unused bytes). */
  used: number;
  /** Bytes of the pages themselves, as the database file counts them. */
  allocated: number;
  rows: number;
}

export interface StorageSnapshot {
  d1: { used: number; allocated: number; tables: Record<string, TableSize>; hourKeyed: string[] };
  r2: { bytes: number; objects: number; buckets: Record<string, { bytes: number; objects: number }> };
  /** Used bytes of every Durable Object's SQLite storage (coordinators, hubs…), and how many objects have one. */
  durableObjects: { used: number; objects: number };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

// Miniflare keeps each D1 database as <persist>/d1/<object>/<hash>.sqlite beside a metadata.sqlite of its own.
const d1Files = (persist: string) => filesUnder(join(persist, "d1")).filter((file) => file.endsWith(".sqlite") && !file.endsWith("metadata.sqlite"));

function readD1(file: string, tables: Record<string, TableSize>, hourKeyed: string[]): void {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const schema = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema").all() as Array<{
      type: string;
      name: string;
      tbl_name: string;
      sql: string | null;
    }>;
    const virtual = schema.filter((s) => s.type === "table" && /^CREATE VIRTUAL/i.test(s.sql ?? ""));
    // An index counts with its table; an FTS5 shadow table (logs_fts_data…) with its virtual table.
    const ownerOf = (name: string): string => {
      const owner = schema.find((s) => s.name === name)?.tbl_name ?? name;
      return virtual.find((v) => owner.startsWith(`${v.name}_`))?.name ?? owner;
    };
    const pages = db.prepare("SELECT name, SUM(pgsize) AS allocated, SUM(pgsize - unused) AS used FROM dbstat GROUP BY name").all() as Array<{
      name: string;
      allocated: number;
      used: number;
    }>;
    for (const page of pages) {
      const owner = ownerOf(page.name);
      const size = (tables[owner] ??= { used: 0, allocated: 0, rows: 0 });
      size.used += page.used;
      size.allocated += page.allocated;
    }
    for (const table of schema.filter((s) => s.type === "table" && s.name === s.tbl_name && !virtual.includes(s) && !s.name.startsWith("sqlite_"))) {
      const count = db.prepare(`SELECT COUNT(*) AS n FROM "${table.name.replaceAll('"', '""')}"`).get() as { n: number };
      const size = (tables[ownerOf(table.name)] ??= { used: 0, allocated: 0, rows: 0 });
      size.rows += count.n;
      // A rollup keyed by the hour gains one row per hour, not per run: the bench's runs all share one hour.
      const columns = db.prepare(`PRAGMA table_info("${table.name.replaceAll('"', '""')}")`).all() as Array<{ name: string; pk: number }>;
      if (columns.some((column) => column.pk > 0 && column.name === "hour")) hourKeyed.push(table.name);
    }
  } finally {
    db.close();
  }
}

// Durable Objects keep one SQLite file each under <persist>/do/<script>-<class>/.
function readDurableObjects(persist: string): StorageSnapshot["durableObjects"] {
  const files = filesUnder(join(persist, "do")).filter((file) => file.endsWith(".sqlite") && !file.endsWith("metadata.sqlite"));
  // An object whose storage was deleted since the listing is simply no longer counted.
  const present = files.filter((file) => existsSync(file));
  let used = 0;
  for (const file of present) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      used += (db.prepare("SELECT IFNULL(SUM(pgsize - unused), 0) AS used FROM dbstat").get() as { used: number }).used;
    } finally {
      db.close();
    }
  }
  return { used, objects: present.length };
}

async function readR2(worker: WranglerWorker): Promise<StorageSnapshot["r2"]> {
  const buckets: StorageSnapshot["r2"]["buckets"] = {};
  for (const binding of worker.r2Bindings) {
    const bucket = await worker.r2(binding);
    const total = { bytes: 0, objects: 0 };
    let cursor: string | undefined;
    do {
      const page = await bucket.list({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
      for (const object of page.objects) {
        total.bytes += object.size;
        total.objects += 1;
      }
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor !== undefined);
    buckets[binding] = total;
  }
  const sum = Object.values(buckets).reduce((a, b) => ({ bytes: a.bytes + b.bytes, objects: a.objects + b.objects }), { bytes: 0, objects: 0 });
  return { ...sum, buckets };
}

export async function snapshotStorage(worker: WranglerWorker, persist: string): Promise<StorageSnapshot> {
  const tables: Record<string, TableSize> = {};
  const hourKeyed: string[] = [];
  for (const file of d1Files(persist)) readD1(file, tables, hourKeyed);
  const sizes = Object.values(tables);
  return {
    d1: { used: sizes.reduce((n, t) => n + t.used, 0), allocated: sizes.reduce((n, t) => n + t.allocated, 0), tables, hourKeyed },
    r2: await readR2(worker),
    durableObjects: readDurableObjects(persist),
  };
}

export interface StorageGrowth {
  d1Used: number;
  d1Allocated: number;
  r2Bytes: number;
  r2Objects: number;
  durableObjectBytes: number;
  durableObjects: number;
  /** Per table (with its indexes): growth in used bytes and rows, only the tables that changed. */
  tables: Record<string, { used: number; allocated: number; rows: number }>;
}

export function growth(before: StorageSnapshot, after: StorageSnapshot): StorageGrowth {
  const tables: StorageGrowth["tables"] = {};
  for (const name of new Set([...Object.keys(before.d1.tables), ...Object.keys(after.d1.tables)])) {
    const a = after.d1.tables[name] ?? { used: 0, allocated: 0, rows: 0 };
    const b = before.d1.tables[name] ?? { used: 0, allocated: 0, rows: 0 };
    if (a.used !== b.used || a.allocated !== b.allocated || a.rows !== b.rows) {
      tables[name] = { used: a.used - b.used, allocated: a.allocated - b.allocated, rows: a.rows - b.rows };
    }
  }
  return {
    d1Used: after.d1.used - before.d1.used,
    d1Allocated: after.d1.allocated - before.d1.allocated,
    r2Bytes: after.r2.bytes - before.r2.bytes,
    r2Objects: after.r2.objects - before.r2.objects,
    durableObjectBytes: after.durableObjects.used - before.durableObjects.used,
    durableObjects: after.durableObjects.objects - before.durableObjects.objects,
    tables,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Writes that follow a run's end (an archive flushed by an alarm, the outbox dispatched, a coordinator's storage
// released) land before the snapshot: it is taken once D1, R2 and Durable Objects have not changed for STABLE_MS.
const SETTLE_POLL_MS = 500;
const STABLE_MS = 2_000;

const sameStorage = (a: StorageSnapshot, b: StorageSnapshot) =>
  a.d1.used === b.d1.used && a.r2.bytes === b.r2.bytes && a.r2.objects === b.r2.objects && a.durableObjects.used === b.durableObjects.used;

export async function settledSnapshot(worker: WranglerWorker, persist: string, maxMs = 60_000): Promise<StorageSnapshot> {
  const started = Date.now();
  let current = await snapshotStorage(worker, persist);
  let stableSince = Date.now();
  while (Date.now() - stableSince < STABLE_MS) {
    if (Date.now() - started > maxMs) {
      console.warn(`  storage still changing ${maxMs / 1000} s after the run ended; measured as it is now`);
      return current;
    }
    await sleep(SETTLE_POLL_MS);
    const next = await snapshotStorage(worker, persist);
    if (!sameStorage(current, next)) stableSince = Date.now();
    current = next;
  }
  return current;
}
