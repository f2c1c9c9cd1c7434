/**
 * Blob gc and the claims that keep it (and a failed publish's cleanup) off a publish in
 * flight: real SQLite file, real blob folder, the registry's own migrations.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fsBlobStore, type FsBlobStore } from '../../server/adapters/fs-blob-store.js';
import { applyMigrations } from '../../server/adapters/sqlite-migrate.js';
import { openSqlite, sqliteDb } from '../../server/adapters/sqlite-db.js';
import { collectGarbage } from '../../server/gc/collect.js';
import { claimBlob, releaseBlob } from '../../server/gc/release.js';
import { migrationsDir } from '../../server/node.js';
import { systemClock, type Clock, type Db } from '../../server/ports.js';
import { beginDeletions, CLAIM_TTL_MS, endDeletions } from '../../server/store/blob-claims.js';
import { streamOf } from '../blobstore/contract.js';

const HOUR = 60 * 60 * 1000;
const later = (ms: number): Clock => ({ now: () => new Date(Date.now() + ms) });

describe('blob gc and claims', () => {
  let dir: string;
  let db: Db;
  let blobs: FsBlobStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'uni-gc-'));
    const sqlite = openSqlite(join(dir, 'registry.sqlite'));
    applyMigrations(sqlite, migrationsDir());
    db = sqliteDb(sqlite);
    blobs = fsBlobStore(join(dir, 'blobs'));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function committed(size = 1000): Promise<string> {
    const staged = await blobs.stage(streamOf(randomBytes(size)), size);
    await blobs.commit(staged);
    return staged.digest;
  }

  async function reference(digest: string, version: string): Promise<void> {
    await db.batch([
      { sql: `INSERT OR IGNORE INTO packages (name, namespace, short_name, private, created_at, updated_at) VALUES ('library/p', 'library', 'p', 0, 'now', 'now')` },
      { sql: `INSERT INTO versions (package, version, dependencies, published_at) VALUES ('library/p', ?, '{}', 'now')`, params: [version] },
      { sql: `INSERT INTO artifacts (package, version, arch, digest, size, manifest, files, published_at) VALUES ('library/p', ?, 'x86_64', ?, 1, '{}', '[]', 'now')`, params: [version, digest] },
    ]);
  }

  it('deletes unreferenced blobs past the grace period, keeps referenced and young ones, and reports what it freed', async () => {
    const kept = await committed();
    await reference(kept, '1.0.0');
    const orphans = [await committed(1000), await committed(2500)];
    const young = await collectGarbage(db, blobs, systemClock, HOUR);
    expect(young).toEqual({ scanned: 3, deleted: 0, freedBytes: 0, young: 2 });
    const report = await collectGarbage(db, blobs, later(2 * HOUR), HOUR);
    expect(report).toEqual({ scanned: 3, deleted: 2, freedBytes: 3500, young: 0 });
    expect(await blobs.head(kept)).toEqual({ size: 1000 });
    for (const o of orphans) expect(await blobs.head(o)).toBeNull();
    expect(await db.all('SELECT * FROM blob_claims')).toEqual([]);
  });

  it('never deletes an old blob that a publish in flight has claimed, and deletes it once the claim is given up', async () => {
    const digest = await committed();
    // An identical publish claims the digest; its commit finds the old blob already there.
    const claim = await claimBlob(db, systemClock, digest);
    expect((await collectGarbage(db, blobs, later(10 * 60 * 1000), 0)).deleted).toBe(0);
    expect(await blobs.head(digest)).toEqual({ size: 1000 });
    // Its record fails: the release finds nothing else holding the blob and deletes it.
    expect(await releaseBlob(db, blobs, systemClock, digest, claim)).toBe(true);
    expect(await blobs.head(digest)).toBeNull();
  });

  it('lets only the last of two failing identical publishes delete the blob', async () => {
    const digest = await committed();
    const a = await claimBlob(db, systemClock, digest);
    const b = await claimBlob(db, systemClock, digest);
    expect(await releaseBlob(db, blobs, systemClock, digest, a)).toBe(false);
    expect(await blobs.head(digest)).toEqual({ size: 1000 });
    expect(await releaseBlob(db, blobs, systemClock, digest, b)).toBe(true);
    expect(await blobs.head(digest)).toBeNull();
  });

  it('keeps a blob another artifact references when a publish of the same bytes fails', async () => {
    const digest = await committed();
    await reference(digest, '1.0.0');
    const claim = await claimBlob(db, systemClock, digest);
    expect(await releaseBlob(db, blobs, systemClock, digest, claim)).toBe(false);
    expect(await blobs.head(digest)).toEqual({ size: 1000 });
    expect(await db.all('SELECT * FROM blob_claims')).toEqual([]);
  });

  it('makes a publish wait while the same digest is being deleted, so the deletion cannot undo its commit', async () => {
    const digest = await committed();
    const deleting = await beginDeletions(db, [digest], new Date());
    expect(deleting.size).toBe(1);
    let claimed = false;
    const waiting = claimBlob(db, systemClock, digest).then((id) => {
      claimed = true;
      return id;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(claimed).toBe(false);
    await blobs.delete(digest);
    await endDeletions(db, [...deleting.values()]);
    const id = await waiting;
    expect(claimed).toBe(true);
    // With the claim held, neither gc nor another failed publish may delete the recommitted blob.
    expect((await beginDeletions(db, [digest], new Date())).size).toBe(0);
    expect(await db.first('SELECT deleting FROM blob_claims WHERE id = ?', [id])).toEqual({ deleting: 0 });
  });

  it("ignores and removes a crashed holder's claim once it is older than the claim lifetime", async () => {
    const digest = await committed();
    await claimBlob(db, systemClock, digest);
    const report = await collectGarbage(db, blobs, later(CLAIM_TTL_MS + 60_000), 0);
    expect(report.deleted).toBe(1);
    expect(await db.all('SELECT * FROM blob_claims')).toEqual([]);
  });
});
