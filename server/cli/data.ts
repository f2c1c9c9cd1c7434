/**
 * A registry's data opened by a command that is not the server (sync, verify, scrub): its
 * SQLite (migrated, WAL, so a running `uni serve` may share it) and its blob store, the
 * folder under DATA/blobs unless --blobs names another.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fsBlobStore } from '../adapters/fs-blob-store.js';
import { applyMigrations } from '../adapters/sqlite-migrate.js';
import { openSqlite, sqliteDb } from '../adapters/sqlite-db.js';
import { migrationsDir } from '../node.js';
import type { BlobStore, Db } from '../ports.js';
import { blobStoreFromOption } from './blobs.js';

export interface OpenData {
  dataDir: string;
  db: Db;
  blobs: BlobStore;
  close(): Promise<void>;
}

export async function openData(data: string, blobsOption: string | undefined): Promise<OpenData> {
  const dataDir = resolve(data);
  const blobs = (await blobStoreFromOption(blobsOption === undefined ? {} : { blobs: blobsOption })) ?? fsBlobStore(join(dataDir, 'blobs'));
  mkdirSync(dataDir, { recursive: true });
  const sqlite = openSqlite(join(dataDir, 'registry.sqlite'));
  applyMigrations(sqlite, migrationsDir());
  const db = sqliteDb(sqlite);
  return { dataDir, db, blobs, close: () => db.close() };
}
