import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UniError } from '../../protocol/errors.js';
import type { Arch } from '../../protocol/names.js';
import { archivePath, digestHex, lockPath, treePath, type CacheLayout } from '../cache/layout.js';
import { DEFAULT_LOCK, withLock, type FileLockOptions } from '../cache/file-lock.js';
import { stampHolds } from '../cache/stamp.js';
import { TreeWriter, readMarker, removeTree, verifyTree, type TreeMarker } from '../cache/tree.js';
import type { Progress } from '../progress.js';
import type { RegistryClient } from '../registry/client.js';
import { blobChunks } from './download.js';

export interface ArtifactRequest {
  name: string;
  version: string;
  arch: Arch;
  digest: string;
  size: number;
}

export interface ArtifactContext {
  layout: CacheLayout;
  /** null with --offline: the cache alone must answer. */
  client: RegistryClient | null;
  progress: Progress;
  /** Where a note goes when a damaged tree was rebuilt (stderr in the CLI). */
  warn: (message: string) => void;
  lock?: FileLockOptions;
}

export interface ReadyTree {
  /** The extracted top folder. */
  path: string;
  marker: TreeMarker;
  /** True when this call downloaded the archive. */
  downloaded: boolean;
}

function ready(layout: CacheLayout, digest: string, downloaded: boolean): ReadyTree | null {
  const dir = treePath(layout, digest);
  const marker = readMarker(dir, digest);
  return marker ? { path: join(dir, marker.top), marker, downloaded } : null;
}

/** A ready tree whose files still have the stat data of its stamp: trusted without re-hashing. */
function unchanged(layout: CacheLayout, digest: string): ReadyTree | null {
  const tree = ready(layout, digest, false);
  return tree && stampHolds(treePath(layout, digest), tree.marker.top) ? tree : null;
}

/**
 * The extracted, verified tree of one artifact, fetching and extracting it when the cache
 * lacks it. One process per digest does the work under a lock; the others wait and then
 * find the tree ready. A tree whose files changed since its stamp is re-hashed against its
 * index under the lock: an intact one gets a fresh stamp, a damaged one is rebuilt (from the
 * cached archive when that is still good).
 */
export async function ensureArtifact(ctx: ArtifactContext, req: ArtifactRequest): Promise<ReadyTree> {
  const warm = unchanged(ctx.layout, req.digest);
  if (warm) return warm;
  return withLock(
    lockPath(ctx.layout, req.digest),
    async () => {
      // Another run may have checked, stamped or rebuilt the tree while this one waited.
      const checked = unchanged(ctx.layout, req.digest);
      if (checked) return checked;
      const found = ready(ctx.layout, req.digest, false);
      const damage = found && (await verifyTree(treePath(ctx.layout, req.digest), req.digest));
      if (found && !damage) return found;
      removeLeftovers(ctx.layout, req.digest);
      const downloaded = await buildTree(ctx, req);
      if (damage) {
        ctx.warn(`the cached tree of ${label(req)} was damaged (${damage}) and was rebuilt ${downloaded ? 'from a new download' : 'from the cached archive'}`);
      }
      return ready(ctx.layout, req.digest, downloaded)!;
    },
    ctx.lock ?? DEFAULT_LOCK,
  );
}

/**
 * The tree of an archive on this machine (`uni manifest -p ./pkg.tar.gz`), extracted into the
 * cache under its digest by the same reader and rules as a download; the archive is kept in
 * the cache as a downloaded one would be.
 */
export async function ensureLocalArtifact(ctx: ArtifactContext, req: ArtifactRequest, file: string): Promise<ReadyTree> {
  const warm = unchanged(ctx.layout, req.digest);
  if (warm) return warm;
  return withLock(
    lockPath(ctx.layout, req.digest),
    async () => {
      const found = ready(ctx.layout, req.digest, false);
      if (found && !(await verifyTree(treePath(ctx.layout, req.digest), req.digest))) return found;
      removeLeftovers(ctx.layout, req.digest);
      await extract(ctx.layout, req, createReadStream(file, { highWaterMark: 1 << 20 }), archivePath(ctx.layout, req.digest));
      return ready(ctx.layout, req.digest, false)!;
    },
    ctx.lock ?? DEFAULT_LOCK,
  );
}

/** Temp files of a run that was killed. Only called under the digest's lock, so nobody is writing them. */
function removeLeftovers(layout: CacheLayout, digest: string): void {
  const hex = digestHex(digest);
  for (const dir of [layout.trees, layout.archives]) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.startsWith(`.${hex}.`)) removeTree(join(dir, n));
  }
  // A tree folder without a valid marker is the remains of something interrupted or damaged.
  removeTree(treePath(layout, digest));
}

async function buildTree(ctx: ArtifactContext, req: ArtifactRequest): Promise<boolean> {
  const archive = archivePath(ctx.layout, req.digest);
  if (existsSync(archive)) {
    try {
      await extract(ctx.layout, req, cachedBytes(archive), null);
      return false;
    } catch (e) {
      // These bytes passed every check when they were downloaded: any complaint now means they
      // changed on disk, so the archive is dropped and fetched again. The reader says so with
      // a UniError; anything else is a fault of the tree being written, which a download
      // would not cure.
      if (!(e instanceof UniError)) throw e;
      rmSync(archive, { force: true, recursive: true });
      if (!ctx.client) throw new UniError('offline_miss', `the cached archive of ${label(req)} is damaged (${e.message}), and --offline forbids fetching it again`);
    }
  }
  if (!ctx.client) throw new UniError('offline_miss', `${label(req)} is not in the cache, and --offline forbids downloading it`);
  ctx.progress.addTotal(req.size);
  await extract(ctx.layout, req, blobChunks(ctx.client, req.digest, req.size, ctx.progress), archive);
  return true;
}

/** The cached archive's bytes; a file that can no longer be read is a damaged archive too. */
async function* cachedBytes(archive: string): AsyncGenerator<Uint8Array> {
  try {
    yield* createReadStream(archive, { highWaterMark: 1 << 20 });
  } catch (e) {
    throw new UniError('cache_damaged', `cannot read ${archive}: ${(e as Error).message}`);
  }
}

export function label(req: Pick<ArtifactRequest, 'name' | 'version' | 'arch'>): string {
  return `${req.name}@${req.version} (${req.arch})`;
}

/**
 * One pass over the archive's bytes: hashed, copied to the cache's archive file when it comes
 * from the network, and extracted into a temp tree, all as they arrive. Only when the digest
 * matches are the archive and the tree renamed into place; otherwise nothing is kept.
 */
async function extract(layout: CacheLayout, req: ArtifactRequest, source: AsyncIterable<Uint8Array>, saveTo: string | null): Promise<void> {
  const hex = digestHex(req.digest);
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const tmpTree = join(layout.trees, `.${hex}.${tag}`);
  const tmpArchive = saveTo ? join(layout.archives, `.${hex}.${tag}`) : null;
  const hash = createHash('sha256');
  let size = 0;
  let fd: number | null = null;
  let writer: TreeWriter | null = null;
  async function* tee(): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > req.size) {
        throw new UniError('digest_mismatch', `${label(req)}: the archive is larger than the ${req.size} bytes the registry announced`);
      }
      hash.update(chunk);
      if (fd !== null) writeAll(fd, chunk);
      yield chunk;
    }
  }
  try {
    // 0700 for UNI_HOME too when this creates it: other local users have no business in the cache.
    if (tmpArchive) {
      mkdirSync(layout.archives, { recursive: true, mode: 0o700 });
      fd = openSync(tmpArchive, 'wx', 0o444);
    }
    mkdirSync(layout.trees, { recursive: true, mode: 0o700 });
    writer = new TreeWriter(tmpTree);
    // Loaded here, not at start: it brings ajv and the manifest schema, which a warm get never needs.
    const { readArchive } = await import('../../protocol/archive/read.js');
    const contents = await readArchive(tee(), { visitor: writer });
    const got = `sha256:${hash.digest('hex')}`;
    if (got !== req.digest) {
      throw new UniError('digest_mismatch', `${label(req)}: the archive's digest is ${got}, but the registry lists ${req.digest}`);
    }
    if (fd !== null) {
      closeSync(fd);
      fd = null;
      renameSync(tmpArchive!, saveTo!);
    }
    await writer.finish({ digest: req.digest, name: req.name, version: req.version, arch: req.arch }, contents.topFolder);
    renameSync(tmpTree, treePath(layout, req.digest));
  } catch (e) {
    writer?.abort();
    if (fd !== null) closeSync(fd);
    if (tmpArchive) rmSync(tmpArchive, { force: true });
    removeTree(tmpTree);
    throw e;
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
}
