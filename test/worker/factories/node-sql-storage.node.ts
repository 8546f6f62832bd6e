/// <reference types="node" />
import { DatabaseSync, type SQLInputValue } from "node:sqlite";

// The part of workers-types' SqlStorage the coordinator's storage code uses, for the Node type check (the Node
// program has no workers-types: they clash with its DOM lib).
declare global {
  type SqlStorageValue = ArrayBuffer | string | number | null;
  interface SqlStorageCursor<T extends Record<string, SqlStorageValue>> {
    toArray(): T[];
    one(): T;
    readonly rowsRead: number;
    readonly rowsWritten: number;
    [Symbol.iterator](): IterableIterator<T>;
  }
  interface SqlStorage {
    exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): SqlStorageCursor<T>;
  }
}

// A Durable Object's SqlStorage over Node's own SQLite, for *.node.test.ts files that exercise the coordinator's
// storage code without a workerd per file: exec with ?N bindings, and cursors with what that code reads
// (toArray, one, iteration, rowsWritten). transactionSync is a savepoint (they nest, as the real one's do),
// rolled back when the function throws.
export function nodeSqlStorage(): { sql: SqlStorage; transaction: <T>(fn: () => T) => T; close(): void } {
  const db = new DatabaseSync(":memory:");
  const exec = (query: string, ...bindings: unknown[]) => {
    const statement = db.prepare(query);
    const values = bindings as SQLInputValue[];
    const reads = statement.columns().length > 0;
    const rows = reads ? (statement.all(...values) as Array<Record<string, unknown>>) : [];
    const rowsWritten = reads ? 0 : Number(statement.run(...values).changes);
    return {
      toArray: () => rows,
      one: () => {
        if (rows.length !== 1) throw new Error(`expected exactly one row, got ${rows.length}`);
        return rows[0];
      },
      [Symbol.iterator]: () => rows[Symbol.iterator](),
      rowsWritten,
      rowsRead: rows.length,
    };
  };
  const transaction = <T>(fn: () => T): T => {
    db.exec("SAVEPOINT tx");
    try {
      const result = fn();
      db.exec("RELEASE tx");
      return result;
    } catch (error) {
      db.exec("ROLLBACK TO tx");
      db.exec("RELEASE tx");
      throw error;
    }
  };
  return { sql: { exec } as unknown as SqlStorage, transaction, close: () => db.close() };
}
