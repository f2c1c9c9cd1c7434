/** The Db port over better-sqlite3: one file, WAL, `batch` as one transaction. */
import Database from 'better-sqlite3';
import type { Db, RunResult, SqlStatement, SqlValue } from '../ports.js';

export function openSqlite(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: a publish acknowledged to its client survives a power cut, not only a crash.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

export function sqliteDb(db: Database.Database): Db {
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      statements.set(sql, stmt);
    }
    return stmt;
  };
  const runOne = (sql: string, params: SqlValue[] = []): RunResult => ({ changes: prepare(sql).run(...params).changes });
  const runAll = db.transaction((list: SqlStatement[]) => list.map((s) => runOne(s.sql, s.params)));
  return {
    async all<T>(sql: string, params: SqlValue[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async first<T>(sql: string, params: SqlValue[] = []) {
      return prepare(sql).get(...params) as T | undefined;
    },
    async run(sql, params) {
      return runOne(sql, params);
    },
    async batch(list) {
      return runAll(list);
    },
    async close() {
      db.close();
    },
  };
}
