/**
 * Applies migrations/NNNN_*.sql in order, each in one transaction with its record in
 * d1_migrations: the table and columns `wrangler d1 migrations apply` uses, so that both
 * tools agree on what has been applied to a database.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';

const MIGRATION_FILE = /^\d{4}_[\w-]+\.sql$/;

export function applyMigrations(db: Database.Database, dir: string): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS d1_migrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
  )`);
  const applied = new Set(
    (db.prepare('SELECT name FROM d1_migrations').all() as { name: string }[]).map((r) => r.name),
  );
  const pending = readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f) && !applied.has(f))
    .sort();
  const apply = db.transaction((file: string) => {
    db.exec(readFileSync(join(dir, file), 'utf8'));
    db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run(file);
  });
  for (const file of pending) apply(file);
  return pending;
}
