/**
 * The BlobStore port over a local folder:
 *   DIR/tmp/<random>            bodies being staged (hashed while written)
 *   DIR/sha256/ab/<hex>         committed blobs, named by the sha256 of their bytes
 * A commit is a rename within one file system, so a blob is either absent or whole.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { UniError } from '../../schemas/errors.js';
import type { BlobBody, BlobRange, BlobStore, StagedBlob } from '../ports.js';
import { digestHex } from '../store/digest.js';

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

async function unlinkQuietly(path: string): Promise<void> {
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

export interface FsBlobStore extends BlobStore {
  /** Every key present, committed (`sha256/ab/<hex>`) or staged (`tmp/<name>`): for tests and ops. */
  list(): Promise<string[]>;
  /** An upload in progress writes at least every MiB, so its file stays young. */
  sweepStaged(olderThanMs: number, now: Date): Promise<number>;
}

export function fsBlobStore(root: string): FsBlobStore {
  const tmpDir = join(root, 'tmp');
  mkdirSync(tmpDir, { recursive: true });
  mkdirSync(join(root, 'sha256'), { recursive: true });
  const blobPath = (digest: string): string => {
    const hex = digestHex(digest);
    return join(root, 'sha256', hex.slice(0, 2), hex);
  };

  return {
    async stage(body, maxBytes) {
      const key = `tmp/${randomBytes(12).toString('hex')}`;
      const path = join(root, key);
      const file = await open(path, 'wx');
      const hash = createHash('sha256');
      let size = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        await file.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      };
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
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
        await file.sync();
      } catch (e) {
        await file.close();
        await unlinkQuietly(path);
        throw e;
      }
      await file.close();
      return { key, digest: `sha256:${hash.digest('hex')}`, size };
    },

    async commit(staged: StagedBlob) {
      const target = blobPath(staged.digest);
      const dir = join(target, '..');
      await mkdir(dir, { recursive: true });
      // rename replaces atomically; a concurrent commit of the same digest wrote the same bytes.
      await rename(join(root, staged.key), target);
      await fsyncDir(dir);
    },

    async discard(staged: StagedBlob) {
      await unlinkQuietly(join(root, staged.key));
    },

    async head(digest) {
      const info = await stat(blobPath(digest)).catch(() => null);
      return info ? { size: info.size } : null;
    },

    async get(digest: string, range?: BlobRange): Promise<BlobBody | null> {
      const file = await open(blobPath(digest), 'r').catch(() => null);
      if (!file) return null;
      const size = (await file.stat()).size;
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
          const { bytesRead } = await file.read(buf, 0, want, position);
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

    async delete(digest) {
      await unlinkQuietly(blobPath(digest));
    },

    async sweepStaged(olderThanMs, now) {
      let removed = 0;
      for (const name of await readdir(tmpDir)) {
        const info = await stat(join(tmpDir, name)).catch(() => null);
        if (info && now.getTime() - info.mtimeMs > olderThanMs) {
          await unlinkQuietly(join(tmpDir, name));
          removed += 1;
        }
      }
      return removed;
    },

    async list() {
      const keys = (await readdir(tmpDir)).map((n) => `tmp/${n}`);
      for (const prefix of await readdir(join(root, 'sha256'))) {
        for (const name of await readdir(join(root, 'sha256', prefix))) keys.push(`sha256/${prefix}/${name}`);
      }
      return keys.sort();
    },
  };
}
