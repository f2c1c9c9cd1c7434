/**
 * The registry on Node: SQLite file + blob folder under one data folder, migrations applied
 * at start, served by @hono/node-server.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { UniError } from '../protocol/errors.js';
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

/** A socket that listens before the registry it serves exists (see bind). */
export interface Bound {
  url: string;
  /** Starts answering with the registry; until then every request is answered 503. */
  attach(registry: NodeRegistry): Listening;
  close(): Promise<void>;
}

function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  if (e.code === 'EADDRINUSE') return new UniError('port_in_use', `cannot listen on ${where}: another program uses that port; stop it or choose another with --port`);
  if (e.code === 'EACCES') return new UniError('port_denied', `cannot listen on ${where}: not allowed (ports below 1024 need privileges); choose another with --port`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') return new UniError('bad_host', `cannot listen on ${where}: ${host} is not an address of this machine; check --host`);
  return e;
}

/**
 * Takes the port first, so that a start which cannot listen (the port is busy) fails before
 * it creates the data folder and the first admin token, which it could then never print.
 */
export async function bind(host: string, port: number): Promise<Bound> {
  let app: ReturnType<typeof createApp> | null = null;
  const starting = (): Response =>
    Response.json({ error: { code: 'starting', message: 'the registry is starting; try again in a moment' } }, { status: 503, headers: { 'Retry-After': '1' } });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: (req, env) => (app ? app.fetch(req, env) : starting()), hostname: host, port }, () => resolve(s));
    s.once('error', (e) => reject(listenError(e as NodeJS.ErrnoException, host, port)));
  });
  // Longer than the 5 s default, so that a client reusing an idle connection (as fetch does)
  // does not race the server closing it; proxies commonly keep them for 60 s.
  (server as { keepAliveTimeout?: number }).keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  return {
    url,
    close,
    attach: (registry) => {
      app = registry.app;
      return { server, url, close: () => close().then(() => registry.close()) };
    },
  };
}

export async function listen(registry: NodeRegistry, host: string, port: number): Promise<Listening> {
  return (await bind(host, port)).attach(registry);
}
