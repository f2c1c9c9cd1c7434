/**
 * The Db port on D1 (workerd's, through Miniflare) and on better-sqlite3, side by side: the
 * same statements give the same rows, counts and failures, or the app would behave
 * differently on Workers.
 */
import Database from 'better-sqlite3';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { d1Db, type D1Binding } from '../../server/adapters/d1-db.js';
import { sqliteDb } from '../../server/adapters/sqlite-db.js';
import type { Db } from '../../server/ports.js';

const SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, data BLOB, n REAL)';

function defineDbContract(name: string, open: () => Promise<{ db: Db; close(): Promise<void> }>): void {
  describe(`Db contract: ${name}`, () => {
    let db: Db;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ db, close } = await open());
      await db.run(SCHEMA);
    });
    afterAll(async () => {
      await close?.();
    });

    it('binds and returns text, numbers, null and bytes', async () => {
      const bytes = new Uint8Array([0, 1, 254, 255]);
      expect(await db.run('INSERT INTO t (name, data, n) VALUES (?, ?, ?)', ['a', bytes, 1.5])).toEqual({ changes: 1 });
      await db.run('INSERT INTO t (name, data, n) VALUES (?, ?, ?)', ['b', null, 2]);
      const rows = await db.all<{ id: number; name: string; data: Uint8Array | null; n: number }>('SELECT * FROM t ORDER BY id');
      expect(rows.map((r) => [r.name, r.n, r.data === null ? null : [...r.data]])).toEqual([
        ['a', 1.5, [0, 1, 254, 255]],
        ['b', 2, null],
      ]);
      expect(rows[0]!.data).toBeInstanceOf(Uint8Array);
      expect(await db.first<{ name: string }>('SELECT name FROM t WHERE n > ?', [1.6])).toEqual({ name: 'b' });
      expect(await db.first('SELECT name FROM t WHERE name = ?', ['zz'])).toBeUndefined();
    });

    it('counts the rows a statement changed, each in a batch', async () => {
      expect(await db.run('UPDATE t SET n = n + 1')).toEqual({ changes: 2 });
      const results = await db.batch([
        { sql: 'INSERT INTO t (name) VALUES (?)', params: ['c'] },
        { sql: 'UPDATE t SET n = 0 WHERE name IN (?, ?)', params: ['a', 'b'] },
        { sql: 'DELETE FROM t WHERE name = ?', params: ['nobody'] },
      ]);
      expect(results).toEqual([{ changes: 1 }, { changes: 2 }, { changes: 0 }]);
      expect(await db.batch([])).toEqual([]);
    });

    it('rolls a whole batch back when one statement fails, with SQLite\'s constraint message', async () => {
      const before = await db.all('SELECT * FROM t ORDER BY id');
      const err = await db
        .batch([
          { sql: 'INSERT INTO t (name) VALUES (?)', params: ['d'] },
          { sql: 'INSERT INTO t (name) VALUES (?)', params: ['a'] },
        ])
        .catch((e: unknown) => e);
      expect(String((err as Error).message)).toMatch(/UNIQUE constraint failed: t\.name/);
      expect(await db.all('SELECT * FROM t ORDER BY id')).toEqual(before);
    });
  });
}

defineDbContract('better-sqlite3', async () => {
  const sqlite = new Database(':memory:');
  return { db: sqliteDb(sqlite), close: async () => sqlite.close() };
});

defineDbContract('D1 (workerd)', async () => {
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null, { status: 404 }); } }',
    d1Databases: { DB: 'db-contract' },
  });
  const d1 = (await mf.getD1Database('DB')) as unknown as D1Binding;
  return { db: d1Db(d1), close: () => mf.dispose() };
});
