/**
 * Copies an origin by following its /v1/changes feed: for every package a page of changes
 * touches, its current document is applied (apply.ts) after the blobs of its new artifacts
 * (and of those it already holds without their blob, as pull-through leaves them) are
 * downloaded, verified and committed. The feed position is written only once every change up
 * to it has its data stored, so an interrupted sync resumes where it stopped and a repeated
 * one copies nothing; a last pass (`fill`) finds blobs missing behind rows the feed did not
 * touch this time.
 */
import { UniError } from '../../protocol/errors.js';
import type { PackageDocument } from '../documents.js';
import type { BlobStore, Clock, Db, SqlValue } from '../ports.js';
import { referencedBlobs } from '../store/blob-refs.js';
import { brokenRule, guardStatement } from '../store/guards.js';
import { applyPackageDocument, forgetPackage } from './apply.js';
import { groupCommit } from './group-commit.js';
import { copyBlob, type BlobOrder } from './copy-blob.js';
import { inParallel, semaphore } from './parallel.js';
import type { Change, Upstream } from './upstream.js';

/** Packages in flight per allowed download (`concurrency`). */
const PACKAGES_PER_DOWNLOAD = 4;

export interface SyncTarget {
  db: Db;
  blobs: BlobStore;
  clock: Clock;
  /** Namespaces the target itself mirrors (--follow): owners there only hold read tokens, the packages stay the origin's. */
  mirrored?: readonly string[];
}

/** What a sync copies into: a registry's Db and BlobStore (storeSink), or another registry over HTTP. */
export interface SyncSink {
  readPosition(key: string): Promise<number>;
  /** Called only once every change up to `seq` has its data stored. */
  writePosition(key: string, seq: number): Promise<void>;
  /** Brings one package in line with the origin's document, blobs before metadata. */
  applyPackage(doc: PackageDocument, etag: string | null, opts: SyncOptions, run: SyncRun): Promise<void>;
  /**
   * Stores every blob the copy's rows from this origin reference and the store lacks,
   * whoever made the row (pull-through makes rows without blobs) and whatever removed it.
   */
  fill?(opts: SyncOptions, run: SyncRun): Promise<void>;
  /** The origin no longer shows `name`. */
  forget(name: string, origin: string): Promise<void>;
}

/** What one sync shares with its sink: a limit on downloads across packages, and the tally. */
export interface SyncRun {
  download<R>(fn: () => Promise<R>): Promise<R>;
  copied(bytes: number): void;
}

export type SyncEvent =
  | { kind: 'queued'; bytes: number }
  | { kind: 'bytes'; bytes: number }
  | { kind: 'package'; name: string }
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
  /** After the feed, look for blobs missing behind every row from this origin (SyncSink.fill); false: only behind the packages the feed touched. */
  fill: boolean;
  onEvent?: (e: SyncEvent) => void;
}

export interface SyncReport {
  changes: number;
  packages: number;
  blobs: number;
  bytes: number;
  position: number;
  /** Why a package was left as it is: the target's own (see storeSink). */
  skipped: string[];
}

/** Where a sync keeps its position: per origin and per filter, so another filter starts over. */
export function syncKey(url: string, namespaces: readonly string[] | null, arches: readonly string[] | null): string {
  const ns = namespaces ? [...namespaces].sort().join(',') : '*';
  const ar = arches ? [...arches].sort().join(',') : '*';
  return `${url} namespaces=${ns} arches=${ar}`;
}

/**
 * Whether `name` is the target's own: published there (no mirror_packages row), or in a
 * namespace an owner holds there. The origin never overwrites those nor adds to them, as a
 * mirror never serves a local name from upstream (docs/mirrors.md).
 */
function localSql(target: SyncTarget, name: string): { sql: string; params: SqlValue[] } {
  const namespace = name.slice(0, name.indexOf('/'));
  return {
    sql: `(EXISTS (SELECT 1 FROM packages WHERE name = ? AND name NOT IN (SELECT package FROM mirror_packages))
           OR (? = 1 AND EXISTS (SELECT 1 FROM namespaces WHERE name = ?)))`,
    params: [name, target.mirrored?.includes(namespace) ? 0 : 1, namespace],
  };
}

/** The artifacts of `name` this registry already holds, as orders for their blobs. */
async function heldOrders(db: Db, name: string, arches: readonly string[] | null): Promise<BlobOrder[]> {
  const rows = await db.all<BlobOrder>('SELECT package AS name, version, arch, digest, size FROM artifacts WHERE package = ?', [name]);
  return arches ? rows.filter((r) => arches.includes(r.arch)) : rows;
}

const localPackage = (name: string): UniError =>
  new UniError('local_package', `skipped ${name}: this registry published it or owns its namespace, and a sync never overwrites or adds to those`, 409);

/** Copies into a registry's own Db and BlobStore: a data folder, or the running mirror (--follow). */
export function storeSink(target: SyncTarget): SyncSink {
  /** Downloads `orders` that the store lacks (each digest once), counted into the run. */
  const fetchMissing = async (orders: BlobOrder[], opts: SyncOptions, run: SyncRun): Promise<void> => {
    const unique = [...new Map(orders.map((o) => [o.digest, o])).values()];
    const absent = await inParallel(unique, opts.concurrency, async (o) => (await target.blobs.head(o.digest)) === null);
    const missing = unique.filter((_, i) => absent[i]);
    for (const o of missing) opts.onEvent?.({ kind: 'queued', bytes: o.size });
    const onBytes = (bytes: number): void => opts.onEvent?.({ kind: 'bytes', bytes });
    await inParallel(missing, missing.length, (o) => run.download(() => copyBlob(target.blobs, opts.upstream, o, { onBytes })));
    for (const o of missing) run.copied(o.size);
  };
  // One transaction for the packages (and positions) that finish together, not one each.
  const commit = groupCommit(target.db);
  return {
    async readPosition(key) {
      return (await target.db.first<{ position: number }>('SELECT position FROM sync_state WHERE origin = ?', [key]))?.position ?? 0;
    },
    async writePosition(key, seq) {
      // Queued only once the packages it covers are committed, so it lands in a later batch than their data.
      await commit([
        {
          sql: `INSERT INTO sync_state (origin, position, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (origin) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
          params: [key, seq, target.clock.now().toISOString()],
        },
      ]);
    },
    async applyPackage(doc, etag, opts, run) {
      const local = localSql(target, doc.name);
      // Checked before any download, and again in the commit: a local publish may land meanwhile.
      if ((await target.db.first<{ local: number }>(`SELECT ${local.sql} AS local`, local.params))?.local) throw localPackage(doc.name);
      await applyPackageDocument(target.db, doc, {
        guard: guardStatement('local_package', local.sql, local.params),
        upstream: opts.upstream,
        at: target.clock.now().toISOString(),
        etag,
        ...(opts.arches ? { arches: opts.arches } : {}),
        concurrency: opts.concurrency,
        commit,
        // The rows already held count too: pull-through creates rows whose blob nobody fetched yet.
        beforeCommit: async (added) => fetchMissing([...added, ...(await heldOrders(target.db, doc.name, opts.arches))], opts, run),
      }).catch((e: unknown) => {
        throw brokenRule(e) === 'local_package' ? localPackage(doc.name) : e;
      });
    },
    async fill(opts, run) {
      const refs = await referencedBlobs(target.db, { namespaces: opts.namespaces, arches: opts.arches, upstream: opts.upstream.url });
      await fetchMissing(refs.map((r) => ({ name: r.package, version: r.version, arch: r.arch, digest: r.digest, size: r.size })), opts, run);
    },
    async forget(name, origin) {
      const from = await target.db.first<{ upstream: string }>('SELECT upstream FROM mirror_packages WHERE package = ?', [name]);
      if (from?.upstream === origin) await forgetPackage(target.db, name);
    },
  };
}

export async function syncFeed(sink: SyncSink, opts: SyncOptions): Promise<SyncReport> {
  const key = syncKey(opts.upstream.url, opts.namespaces, opts.arches);
  const report: SyncReport = { changes: 0, packages: 0, blobs: 0, bytes: 0, position: await sink.readPosition(key), skipped: [] };
  const run: SyncRun = {
    download: semaphore(opts.concurrency),
    copied(bytes) {
      report.blobs++;
      report.bytes += bytes;
    },
  };
  const wanted = (c: Change): boolean =>
    (!opts.namespaces || opts.namespaces.includes(c.name.split('/')[0]!)) &&
    (c.type !== 'publish' || !opts.arches || c.arch === undefined || opts.arches.includes(c.arch));

  const syncPackage = async (name: string): Promise<void> => {
    const answer = await opts.upstream.packageDocument(name);
    // Gone from the origin, or hidden from this sync's token: a copy that came from there goes too.
    if (answer.kind !== 'document') return sink.forget(name, opts.upstream.url);
    try {
      await sink.applyPackage(answer.doc, answer.etag, opts, run);
    } catch (e) {
      if (!(e instanceof UniError && e.code === 'local_package')) throw e;
      report.skipped.push(e.message);
      return;
    }
    report.packages++;
    opts.onEvent?.({ kind: 'package', name });
  };

  for (;;) {
    const page = await opts.upstream.changes(report.position, opts.pageSize);
    if (page.changes.length === 0) {
      if (opts.fill) await sink.fill?.(opts, run);
      return report;
    }
    const changes = page.changes;
    // A package is applied once per page, from its current document, which covers all its changes.
    const names = [...new Set(changes.filter(wanted).map((c) => c.name))];
    const done = new Set<string>();
    let cursor = 0;
    let written = report.position;
    let writing = Promise.resolve();
    // Each call queues a write of the latest position; queued ones that find it written do
    // nothing, so a burst of finished packages costs one transaction, not one each.
    const advance = (): Promise<void> => {
      while (cursor < changes.length && (!wanted(changes[cursor]!) || done.has(changes[cursor]!.name))) cursor++;
      const seq = cursor === changes.length ? page.next : cursor > 0 ? changes[cursor - 1]!.seq : report.position;
      if (seq > report.position) report.position = seq;
      writing = writing.then(async () => {
        const at = report.position;
        if (at <= written) return;
        await sink.writePosition(key, at);
        written = at;
        opts.onEvent?.({ kind: 'position', seq: at });
      });
      return writing;
    };
    try {
      // More packages than downloads in flight: each spends most of its time on documents and
      // its commit, during which others keep the downloads busy.
      await inParallel(names, opts.concurrency * PACKAGES_PER_DOWNLOAD, async (name) => {
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
