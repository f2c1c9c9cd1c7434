/**
 * The registry on Node: SQLite file + blob folder under one data folder, migrations applied
 * at start, served by @hono/node-server.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createApp } from './app.js';
import { fsBlobStore, isFsBlobStore } from './adapters/fs-blob-store.js';
import { nodeBlobSender } from './adapters/node-blob-sender.js';
import { applyMigrations } from './adapters/sqlite-migrate.js';
import { openSqlite, sqliteDb } from './adapters/sqlite-db.js';
import { bootstrapAdmin } from './auth/bootstrap.js';
import { serverConfig, type ServerConfig } from './config.js';
import type { AppDeps } from './deps.js';
import type { Mirror } from './mirror/config.js';
import { systemClock, type BlobStore, type Clock } from './ports.js';

/** migrations/ sits at the project root, one level above server/ (source) or two above dist/server/. */
export function migrationsDir(): string {
  for (const rel of ['../migrations', '../../migrations']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, '0001_registry.sql'))) return dir;
  }
  throw new Error('cannot find the migrations/ folder next to the server code');
}

/** Staged uploads older than this are leftovers of a killed process. */
const STALE_STAGED_MS = 60 * 60 * 1000;

/**
 * A failed sweep only warns: leftovers cost space, not correctness, and the next start tries
 * again, whereas a registry that will not start serves nothing.
 */
async function sweepStaged(blobs: BlobStore, now: Date, log: (line: string) => void): Promise<void> {
  if (!blobs.sweepStaged) return;
  try {
    const removed = await blobs.sweepStaged(STALE_STAGED_MS, now);
    if (removed > 0) log(`removed ${removed} staged upload(s) left over an hour ago by a stopped process`);
  } catch (e) {
    process.stderr.write(`uni: warning: staged uploads were not swept: ${(e as Error).message}\n`);
  }
}

export interface NodeRegistryOptions {
  dataDir: string;
  config?: ServerConfig;
  clock?: Clock;
  /** Defaults to a folder under dataDir; `uni serve --blobs` passes another store. */
  blobs?: BlobStore;
  adminToken?: string;
  /** Makes the registry a mirror of an upstream (docs/mirrors.md). */
  mirror?: Mirror;
}

export interface NodeRegistry {
  deps: AppDeps;
  app: ReturnType<typeof createApp>;
  /** Set when this start made the first admin token: print it once. */
  generatedAdminToken?: string;
  close(): Promise<void>;
}

export async function openNodeRegistry(opts: NodeRegistryOptions): Promise<NodeRegistry> {
  mkdirSync(opts.dataDir, { recursive: true });
  const sqlite = openSqlite(join(opts.dataDir, 'registry.sqlite'));
  applyMigrations(sqlite, migrationsDir());
  const clock = opts.clock ?? systemClock;
  const db = sqliteDb(sqlite);
  const blobs = opts.blobs ?? fsBlobStore(join(opts.dataDir, 'blobs'));
  const config = opts.config ?? serverConfig();
  await sweepStaged(blobs, clock.now(), config.log);
  const deps: AppDeps = {
    db,
    blobs,
    clock,
    config,
    ...(isFsBlobStore(blobs) ? { sendBlob: nodeBlobSender(blobs, config.log) } : {}),
    ...(opts.mirror ? { mirror: opts.mirror } : {}),
  };
  const { generated } = await bootstrapAdmin(db, clock, opts.adminToken);
  return {
    deps,
    app: createApp(deps),
    ...(generated !== undefined ? { generatedAdminToken: generated } : {}),
    close: () => db.close(),
  };
}

export interface Listening {
  server: ServerType;
  url: string;
  close(): Promise<void>;
}

export async function listen(registry: NodeRegistry, host: string, port: number): Promise<Listening> {
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: registry.app.fetch, hostname: host, port }, () => resolve(s));
    s.once('error', reject);
  });
  // Longer than the 5 s default, so that a client reusing an idle connection (as fetch does)
  // does not race the server closing it; proxies commonly keep them for 60 s.
  (server as { keepAliveTimeout?: number }).keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }).then(() => registry.close()),
  };
}
