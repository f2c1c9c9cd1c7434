/**
 * The Db port over a D1 binding. The same SQL as better-sqlite3; `batch` is D1's own batch,
 * which runs as one transaction. Only the shapes this adapter uses are declared here, so the
 * Node build needs no Workers types.
 */
import type { Db, RunResult, SqlValue } from '../ports.js';

export interface D1Statement {
  bind(...values: unknown[]): D1Statement;
  all<T>(): Promise<{ results: T[] }>;
  first<T>(): Promise<T | null>;
  run(): Promise<{ meta: { changes: number } }>;
}

export interface D1Binding {
  prepare(sql: string): D1Statement;
  batch(statements: D1Statement[]): Promise<{ meta: { changes: number } }[]>;
}

/** D1 binds a BLOB from an ArrayBuffer; a view into a larger buffer is cut out first. */
function bindable(v: SqlValue): unknown {
  if (v instanceof Uint8Array) return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
  return v;
}

/**
 * D1 hands BLOB columns back as arrays of byte values; better-sqlite3 as byte buffers. No
 * registry column holds a JSON array (those are stored as TEXT), so an array is a BLOB.
 */
function normalise<T>(row: T): T {
  if (row === null || typeof row !== 'object') return row;
  for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
    if (Array.isArray(v)) (row as Record<string, unknown>)[k] = Uint8Array.from(v as number[]);
  }
  return row;
}

export function d1Db(d1: D1Binding): Db {
  const statement = (sql: string, params: SqlValue[] = []): D1Statement =>
    params.length > 0 ? d1.prepare(sql).bind(...params.map(bindable)) : d1.prepare(sql);
  return {
    async all<T>(sql: string, params?: SqlValue[]) {
      return (await statement(sql, params).all<T>()).results.map(normalise);
    },
    async first<T>(sql: string, params?: SqlValue[]) {
      const row = await statement(sql, params).first<T>();
      return row === null ? undefined : normalise(row);
    },
    async run(sql, params): Promise<RunResult> {
      return { changes: (await statement(sql, params).run()).meta.changes };
    },
    async batch(list) {
      if (list.length === 0) return [];
      const results = await d1.batch(list.map((s) => statement(s.sql, s.params)));
      return results.map((r) => ({ changes: r.meta.changes }));
    },
    // The binding belongs to the Worker's environment, not to this adapter.
    async close() {},
  };
}
