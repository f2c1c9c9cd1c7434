/**
 * The BlobStore port over a local folder:
 *   DIR/tmp/<random>            bodies being staged (hashed while written)
 *   DIR/sha256/ab/<hex>         committed blobs, named by the sha256 of their bytes
 * A commit is a rename within one file system, so a blob is either absent or whole.
 * Only ENOENT is "absent"; ENOSPC and EDQUOT are 507, every other errno 503 (server/ports.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { UniError } from '../../protocol/errors.js';
import type { BlobBody, BlobRange, BlobStore, StagedBlob, StoredBlob } from '../ports.js';
import { digestHex } from '../store/digest.js';
import { drainBody, STORE_FAULT_DRAIN_MS } from '../drain.js';
import { isStoreFault, storeFull, typedFault } from './blob-faults.js';

const READ_CHUNK = 1024 * 1024;
/** Fewer, larger writes: the request body arrives in chunks of a few KiB. */
const WRITE_BATCH = 1024 * 1024;

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const isAbsent = (e: unknown): boolean => (e as NodeJS.ErrnoException)?.code === 'ENOENT';
const isFull = (e: unknown): boolean => ['ENOSPC', 'EDQUOT'].includes((e as NodeJS.ErrnoException)?.code ?? '');

/** Null when `path` does not exist; any other failure is the caller's to type. */
async function unlessAbsent<T>(work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch (e) {
    if (isAbsent(e)) return null;
    throw e;
  }
}

async function unlinkQuietly(path: string): Promise<void> {
  await unlessAbsent(unlink(path));
}

export interface FsBlobStore extends BlobStore {
  /** Every key present, committed (`sha256/ab/<hex>`) or staged (`tmp/<name>`): for tests and ops. */
  list(): Promise<string[]>;
  /** An upload in progress writes at least every MiB, so its file stays young. */
  sweepStaged(olderThanMs: number, now: Date): Promise<number>;
  /** The blob's file opened for reading, for the Node entry to send itself (server/adapters/node-blob-sender.ts); null when absent. */
  openFile(digest: string): Promise<FileHandle | null>;
}

export function isFsBlobStore(store: BlobStore): store is FsBlobStore {
  return typeof (store as Partial<FsBlobStore>).openFile === 'function';
}

export function fsBlobStore(root: string): FsBlobStore {
  const tmpDir = join(root, 'tmp');
  const committedDir = join(root, 'sha256');
  mkdirSync(tmpDir, { recursive: true });
  mkdirSync(committedDir, { recursive: true });
  const blobPath = (digest: string): string => {
    const hex = digestHex(digest);
    return join(committedDir, hex.slice(0, 2), hex);
  };
  const label = `folder ${root}`;
  const fault = (op: string, key: string, e: unknown): UniError => (isFull(e) ? storeFull(label, op, key) : typedFault(label, op, key, e));
  /** Runs `work`, turning what it throws into the store's typed fault. */
  const guarded = async <T>(op: string, key: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      throw fault(op, key, e);
    }
  };

  return {
    async stage(body, maxBytes) {
      const key = `tmp/${randomBytes(12).toString('hex')}`;
      const path = join(root, key);
      const reader = body.getReader();
      let file;
      try {
        file = await guarded('creating', key, () => open(path, 'wx'));
      } catch (e) {
        await drainBody(reader, maxBytes, STORE_FAULT_DRAIN_MS);
        throw e;
      }
      const hash = createHash('sha256');
      let size = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const bytes = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
        await guarded('writing', key, () => file.write(bytes));
        pending = [];
        pendingBytes = 0;
      };
      try {
        for (let next = await reader.read(); !next.done; next = await reader.read()) {
          const chunk = next.value;
          size += chunk.byteLength;
          if (size > maxBytes) {
            throw new UniError('too_large', `archive is larger than the limit of ${maxBytes} bytes`, 413);
          }
          hash.update(chunk);
          pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          pendingBytes += chunk.byteLength;
          if (pendingBytes >= WRITE_BATCH) await flush();
        }
        await flush();
        await guarded('writing', key, () => file.sync());
      } catch (e) {
        await file.close().catch(() => undefined);
        await unlinkQuietly(path).catch(() => undefined);
        // The store's fault, not the client's: it still gets to read why.
        if (isStoreFault(e)) await drainBody(reader, maxBytes - size, STORE_FAULT_DRAIN_MS);
        else await reader.cancel(e).catch(() => undefined);
        throw e;
      }
      reader.releaseLock();
      await guarded('closing', key, () => file.close());
      return { key, digest: `sha256:${hash.digest('hex')}`, size };
    },

    async commit(staged: StagedBlob) {
      const target = blobPath(staged.digest);
      const dir = join(target, '..');
      await guarded('committing', staged.digest, async () => {
        await mkdir(dir, { recursive: true });
        // rename replaces atomically; a concurrent commit of the same digest wrote the same bytes.
        await rename(join(root, staged.key), target);
        await fsyncDir(dir);
      });
    },

    async discard(staged: StagedBlob) {
      await guarded('discarding', staged.key, () => unlinkQuietly(join(root, staged.key)));
    },

    async head(digest) {
      const info = await guarded('reading', digest, () => unlessAbsent(stat(blobPath(digest))));
      return info ? { size: info.size } : null;
    },

    async get(digest: string, range?: BlobRange): Promise<BlobBody | null> {
      const file = await guarded('reading', digest, () => unlessAbsent(open(blobPath(digest), 'r')));
      if (!file) return null;
      const size = await guarded('reading', digest, () => file.stat().then((info) => info.size)).catch(async (e: unknown) => {
        await file.close();
        throw e;
      });
      let position = range ? range.start : 0;
      const end = range ? range.end + 1 : size;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const want = Math.min(READ_CHUNK, end - position);
          if (want <= 0) {
            await file.close();
            controller.close();
            return;
          }
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await guarded('reading', digest, () => file.read(buf, 0, want, position)).catch(async (e: unknown) => {
            await file.close();
            throw e;
          });
          if (bytesRead === 0) {
            await file.close();
            controller.error(new Error(`blob ${digest} is shorter than its recorded size`));
            return;
          }
          position += bytesRead;
          controller.enqueue(buf.subarray(0, bytesRead));
        },
        async cancel() {
          await file.close();
        },
      },
      // Reads ahead while the previous chunks are still being written to the socket.
      { highWaterMark: 2 },
      );
      return range ? { body, size, range } : { body, size };
    },

    openFile(digest) {
      return guarded('reading', digest, () => unlessAbsent(open(blobPath(digest), 'r')));
    },

    async delete(digest) {
      await guarded('deleting', digest, () => unlinkQuietly(blobPath(digest)));
    },

    async sweepStaged(olderThanMs, now) {
      return guarded('sweeping', 'tmp/', async () => {
        let removed = 0;
        for (const name of await readdir(tmpDir)) {
          const info = await unlessAbsent(stat(join(tmpDir, name)));
          if (info && now.getTime() - info.mtimeMs > olderThanMs) {
            await unlinkQuietly(join(tmpDir, name));
            removed += 1;
          }
        }
        return removed;
      });
    },

    async *listBlobs() {
      const prefixes = await guarded('listing', 'sha256/', () => readdir(committedDir));
      // Pages of up to 1000 across the 256 prefix folders: gc does its database work per page.
      let page: StoredBlob[] = [];
      for (const prefix of prefixes) {
        const found = await guarded('listing', `sha256/${prefix}/`, async () => {
          const names = (await unlessAbsent(readdir(join(committedDir, prefix)))) ?? [];
          // One folder's stats at once (about n/256 of them): the thread pool overlaps them.
          const infos = await Promise.all(names.map((name) => unlessAbsent(stat(join(committedDir, prefix, name)))));
          // A blob deleted between readdir and stat is simply not there.
          return names.flatMap((name, i) => {
            const info = infos[i];
            return info ? [{ digest: `sha256:${name}`, size: info.size, modifiedAt: info.mtime }] : [];
          });
        });
        page.push(...found);
        while (page.length >= 1000) {
          yield page.slice(0, 1000);
          page = page.slice(1000);
        }
      }
      if (page.length > 0) yield page;
    },

    async list() {
      return guarded('listing', '', async () => {
        const keys = (await readdir(tmpDir)).map((n) => `tmp/${n}`);
        for (const prefix of await readdir(committedDir)) {
          for (const name of await readdir(join(committedDir, prefix))) keys.push(`sha256/${prefix}/${name}`);
        }
        return keys.sort();
      });
    },
  };
}
