/** The Node adapters on real files: SQLite with the migrations, and the blob folder. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../server/adapters/fs-blob-store.js';
import { applyMigrations } from '../../server/adapters/sqlite-migrate.js';
import { openSqlite, sqliteDb } from '../../server/adapters/sqlite-db.js';
import { migrationsDir } from '../../server/node.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'uni-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function bodyOf(...chunks: Buffer[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(new Uint8Array(chunk));
      c.close();
    },
  });
}

describe('SQLite adapter and migrations', () => {
  it('applies each migration once and records it in d1_migrations', async () => {
    const file = join(dir, 'r.sqlite');
    const first = openSqlite(file);
    const applied = applyMigrations(first, migrationsDir());
    expect(applied).toContain('0001_registry.sql');
    first.close();
    const again = openSqlite(file);
    expect(applyMigrations(again, migrationsDir())).toEqual([]);
    const rows = again.prepare('SELECT id, name, applied_at FROM d1_migrations ORDER BY id').all() as { name: string }[];
    expect(rows.map((r) => r.name)).toEqual(applied);
    expect(again.pragma('journal_mode', { simple: true })).toBe('wal');
    again.close();
  });

  it('runs a batch as one transaction: a failing statement keeps none of it', async () => {
    const sqlite = openSqlite(join(dir, 'r.sqlite'));
    applyMigrations(sqlite, migrationsDir());
    const db = sqliteDb(sqlite);
    const ns = (name: string) => ({ sql: 'INSERT INTO namespaces (name, owner, created_at) VALUES (?, ?, ?)', params: [name, 'o', 'now'] });
    await db.batch([ns('a')]);
    await expect(db.batch([ns('b'), ns('a')])).rejects.toThrow(/UNIQUE constraint failed/);
    expect(await db.all<{ name: string }>('SELECT name FROM namespaces')).toEqual([{ name: 'a' }]);
    await db.close();
  });
});

describe('blob folder', () => {
  it('stages while hashing, commits under the digest, serves ranges', async () => {
    const store = fsBlobStore(join(dir, 'blobs'));
    const bytes = Buffer.from('hello, unikernel world');
    const staged = await store.stage(bodyOf(bytes.subarray(0, 5), bytes.subarray(5)), 1000);
    expect(staged.digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(staged.size).toBe(bytes.length);
    expect(await store.head(staged.digest)).toBeNull();
    await store.commit(staged);
    expect(await store.head(staged.digest)).toEqual({ size: bytes.length });
    const part = await store.get(staged.digest, { start: 7, end: 15 });
    expect(Buffer.from(await new Response(part!.body).arrayBuffer()).toString()).toBe('unikernel');
    expect(await store.list()).toEqual([`sha256/${staged.digest.slice(7, 9)}/${staged.digest.slice(7)}`]);
  });

  it('refuses a body over the limit with 413 and leaves no file', async () => {
    const store = fsBlobStore(join(dir, 'blobs'));
    await expect(store.stage(bodyOf(Buffer.alloc(600), Buffer.alloc(600)), 1000)).rejects.toMatchObject({
      status: 413,
      message: 'archive is larger than the limit of 1000 bytes',
    });
    expect(readdirSync(join(dir, 'blobs', 'tmp'))).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it('sweeps staged leftovers older than the cutoff only', async () => {
    const store = fsBlobStore(join(dir, 'blobs'));
    const staged = await store.stage(bodyOf(Buffer.from('x')), 10);
    expect(await store.sweepStaged(60_000, new Date())).toBe(0);
    expect(await store.sweepStaged(60_000, new Date(Date.now() + 120_000))).toBe(1);
    expect(await store.list()).not.toContain(staged.key);
  });
});
