/**
 * Copies an origin by following its /v1/changes feed: for every package a page of changes
 * touches, its current document is applied (apply.ts) after the blobs of its new artifacts
 * are downloaded, verified and committed. The feed position is written only once every
 * change up to it has its data stored, so an interrupted sync resumes where it stopped and a
 * repeated one copies nothing.
 */
import { UniError } from '../../schemas/errors.js';
import type { ArtifactDocument } from '../documents.js';
import type { BlobStore, Clock, Db } from '../ports.js';
import { applyPackageDocument, forgetPackage } from './apply.js';
import { inParallel, semaphore } from './parallel.js';
import type { Change, Upstream } from './upstream.js';

export interface SyncTarget {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
}

export type SyncEvent =
  | { kind: 'queued'; bytes: number }
  | { kind: 'bytes'; bytes: number }
  | { kind: 'package'; name: string; added: number }
  | { kind: 'position'; seq: number };

export interface SyncOptions {
  upstream: Upstream;
  /** Only these namespaces; every namespace the origin shows when null. */
  namespaces: readonly string[] | null;
  /** Only these architectures; all when null. */
  arches: readonly string[] | null;
  /** Blob downloads (and package documents) in flight at once. */
  concurrency: number;
  pageSize: number;
  onEvent?: (e: SyncEvent) => void;
}

export interface SyncReport {
  changes: number;
  packages: number;
  blobs: number;
  bytes: number;
  position: number;
}

/** Where a sync keeps its position: per origin and per filter, so another filter starts over. */
export function syncKey(url: string, namespaces: readonly string[] | null, arches: readonly string[] | null): string {
  const ns = namespaces ? [...namespaces].sort().join(',') : '*';
  const ar = arches ? [...arches].sort().join(',') : '*';
  return `${url} namespaces=${ns} arches=${ar}`;
}

export async function readPosition(db: Db, key: string): Promise<number> {
  return (await db.first<{ position: number }>('SELECT position FROM sync_state WHERE origin = ?', [key]))?.position ?? 0;
}

async function writePosition(target: SyncTarget, key: string, seq: number): Promise<void> {
  await target.db.run(
    `INSERT INTO sync_state (origin, position, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (origin) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    [key, seq, target.clock.now().toISOString()],
  );
}

/** Streams `digest` from the origin into the store; committed only when its hash and size match. */
async function copyBlob(target: SyncTarget, opts: SyncOptions, art: ArtifactDocument): Promise<void> {
  const source = await opts.upstream.blob(art.digest);
  if (source === null) {
    throw new UniError('upstream_missing', `origin ${opts.upstream.url} has no blob ${art.digest} for ${art.name}@${art.version} (${art.arch})`, 502);
  }
  const counted = source.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        opts.onEvent?.({ kind: 'bytes', bytes: chunk.byteLength });
        controller.enqueue(chunk);
      },
    }),
  );
  const staged = await target.blobs.stage(counted, art.size);
  if (staged.digest !== art.digest || staged.size !== art.size) {
    await target.blobs.discard(staged);
    throw new UniError(
      'digest_mismatch',
      `origin ${opts.upstream.url} sent bytes for ${art.name}@${art.version} (${art.arch}) that hash to ${staged.digest} (${staged.size} bytes), not ${art.digest} (${art.size} bytes); nothing was kept`,
      502,
    );
  }
  await target.blobs.commit(staged);
}

export async function syncFeed(target: SyncTarget, opts: SyncOptions): Promise<SyncReport> {
  const key = syncKey(opts.upstream.url, opts.namespaces, opts.arches);
  const report: SyncReport = { changes: 0, packages: 0, blobs: 0, bytes: 0, position: await readPosition(target.db, key) };
  const downloads = semaphore(opts.concurrency);
  const wanted = (c: Change): boolean =>
    (!opts.namespaces || opts.namespaces.includes(c.name.split('/')[0]!)) &&
    (c.type !== 'publish' || !opts.arches || c.arch === undefined || opts.arches.includes(c.arch));

  const syncPackage = async (name: string): Promise<void> => {
    const answer = await opts.upstream.packageDocument(name);
    const at = target.clock.now().toISOString();
    if (answer.kind !== 'document') {
      // Gone from the origin, or hidden from this sync's token: a copy that came from there goes too.
      const from = await target.db.first<{ upstream: string }>('SELECT upstream FROM mirror_packages WHERE package = ?', [name]);
      if (from?.upstream === opts.upstream.url) await forgetPackage(target.db, name);
      return;
    }
    const applied = await applyPackageDocument(target.db, answer.doc, {
      upstream: opts.upstream,
      at,
      etag: answer.etag,
      ...(opts.arches ? { arches: opts.arches } : {}),
      concurrency: opts.concurrency,
      beforeCommit: async (added) => {
        const missing: ArtifactDocument[] = [];
        for (const art of added) {
          if ((await target.blobs.head(art.digest)) === null && !missing.some((m) => m.digest === art.digest)) missing.push(art);
        }
        for (const art of missing) opts.onEvent?.({ kind: 'queued', bytes: art.size });
        await inParallel(missing, missing.length, (art) => downloads(() => copyBlob(target, opts, art)));
        report.blobs += missing.length;
        report.bytes += missing.reduce((n, a) => n + a.size, 0);
      },
    });
    report.packages++;
    opts.onEvent?.({ kind: 'package', name, added: applied.added.length });
  };

  for (;;) {
    const page = await opts.upstream.changes(report.position, opts.pageSize);
    if (page.changes.length === 0) return report;
    const changes = page.changes;
    // A package is applied once per page, from its current document, which covers all its changes.
    const names = [...new Set(changes.filter(wanted).map((c) => c.name))];
    const done = new Set<string>();
    let cursor = 0;
    let writing = Promise.resolve();
    const advance = (): Promise<void> => {
      while (cursor < changes.length && (!wanted(changes[cursor]!) || done.has(changes[cursor]!.name))) cursor++;
      const seq = cursor === changes.length ? page.next : cursor > 0 ? changes[cursor - 1]!.seq : report.position;
      if (seq <= report.position) return writing;
      report.position = seq;
      writing = writing.then(() => writePosition(target, key, seq)).then(() => opts.onEvent?.({ kind: 'position', seq }));
      return writing;
    };
    try {
      await inParallel(names, opts.concurrency, async (name) => {
        await syncPackage(name);
        done.add(name);
        await advance();
      });
    } finally {
      await writing;
    }
    await advance();
    report.changes += changes.length;
  }
}
