/**
 * The BlobStore port over an R2 bucket binding, with the folder and S3 layout:
 *   PREFIX tmp/<random>     bodies being staged
 *   PREFIX sha256/<hex>     committed blobs
 * R2's put needs a body of known length, and a publish body is a stream of unknown length:
 * staging cuts it into equal parts of a multipart upload, holding one part in memory.
 * R2 has no copy: a commit reads the staged object back part by part into its digest key.
 * Whatever the binding throws becomes the typed 503 `blob_store_unavailable` (server/ports.ts).
 */
import { createHash } from 'node:crypto';
import { UniError } from '../../protocol/errors.js';
import type { BlobBody, BlobRange, BlobStore, StagedBlob } from '../ports.js';
import { digestHex } from '../store/digest.js';
import { drainBody, STORE_FAULT_DRAIN_MS } from '../drain.js';
import { isStoreFault, typedFault } from './blob-faults.js';

interface R2ObjectLike {
  size: number;
}
interface R2ObjectBodyLike extends R2ObjectLike {
  body: ReadableStream<Uint8Array>;
}
interface R2UploadedPartLike {
  partNumber: number;
  etag: string;
}
interface R2MultipartUploadLike {
  uploadPart(partNumber: number, value: Uint8Array): Promise<R2UploadedPartLike>;
  complete(parts: R2UploadedPartLike[]): Promise<unknown>;
  abort(): Promise<void>;
}

/** Only the shapes this adapter uses, so that the Node build needs no Workers types. */
export interface R2Binding {
  head(key: string): Promise<R2ObjectLike | null>;
  get(key: string, options?: { range?: { offset: number; length: number } }): Promise<R2ObjectBodyLike | null>;
  put(key: string, value: ReadableStream | Uint8Array, options?: { httpMetadata?: { contentType?: string } }): Promise<unknown>;
  createMultipartUpload(key: string, options?: { httpMetadata?: { contentType?: string } }): Promise<R2MultipartUploadLike>;
  delete(keys: string | string[]): Promise<void>;
  list(options?: {
    prefix?: string;
    cursor?: string;
  }): Promise<{ objects: { key: string; size: number; uploaded: Date }[]; truncated: boolean; cursor?: string }>;
}

export interface R2BlobStoreOptions {
  prefix?: string;
  /** R2 wants every part but the last of one size, at least 5 MiB. */
  partSize?: number;
}

export interface R2BlobStore extends BlobStore {
  /** Every key under the prefix, committed or staged: for tests and ops. */
  list(): Promise<string[]>;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const META = { httpMetadata: { contentType: 'application/gzip' } };

/**
 * A plain Uint8Array over a buffer of its own: the binding takes a part as a whole buffer, not
 * as a view into a larger one nor as a subclass such as Node's Buffer.
 */
function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const only = chunks[0];
  if (chunks.length === 1 && only!.byteOffset === 0 && only!.byteLength === only!.buffer.byteLength) {
    return new Uint8Array(only!.buffer, 0, only!.byteLength);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function randomName(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function r2BlobStore(bucket: R2Binding, opts: R2BlobStoreOptions = {}): R2BlobStore {
  const prefix = opts.prefix ?? '';
  const partSize = opts.partSize ?? DEFAULT_PART_SIZE;
  const blobKey = (digest: string): string => `${prefix}sha256/${digestHex(digest)}`;
  const committedPrefix = `${prefix}sha256/`;
  /** Runs `work`, turning what the binding throws into the store's typed fault. */
  const guarded = async <T>(op: string, key: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      throw typedFault('R2 bucket', op, key, e);
    }
  };
  const head = async (digest: string): Promise<{ size: number } | null> => {
    const key = blobKey(digest);
    const obj = await guarded('head of', key, () => bucket.head(key));
    return obj ? { size: obj.size } : null;
  };
  /** Pages of the keys under `under`, with their size and upload time. */
  async function* listed(under: string) {
    let cursor: string | undefined;
    do {
      const page = await guarded('list of', under, () => bucket.list({ prefix: under, ...(cursor ? { cursor } : {}) }));
      yield page.objects;
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }

  const readPart = async (key: string, offset: number, length: number): Promise<Uint8Array> => {
    const obj = await bucket.get(key, { range: { offset, length } });
    if (!obj) throw new UniError('internal', `staged blob ${key} is gone`, 500);
    return new Uint8Array(await new Response(obj.body).arrayBuffer());
  };
  // R2's put takes a stream only when its length is known, which a stream handed across
  // the binding does not promise; parts of one size are what a multipart upload wants anyway.
  const copyInParts = async (from: string, to: string, size: number): Promise<void> => {
    if (size <= partSize) {
      await bucket.put(to, size === 0 ? new Uint8Array(0) : await readPart(from, 0, size), META);
      return;
    }
    const upload = await bucket.createMultipartUpload(to, META);
    try {
      const parts: R2UploadedPartLike[] = [];
      for (let offset = 0; offset < size; offset += partSize) {
        parts.push(await upload.uploadPart(parts.length + 1, await readPart(from, offset, Math.min(partSize, size - offset))));
      }
      await upload.complete(parts);
    } catch (e) {
      await guarded('abort of', to, () => upload.abort()).catch(() => undefined);
      throw e;
    }
  };

  return {
    async stage(body, maxBytes) {
      const key = `tmp/${randomName()}`;
      const objectKey = prefix + key;
      const hash = createHash('sha256');
      let size = 0;
      let upload: R2MultipartUploadLike | null = null;
      const parts: R2UploadedPartLike[] = [];
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      const sendPart = (bytes: Uint8Array): Promise<void> =>
        guarded('upload of', objectKey, async () => {
          upload ??= await bucket.createMultipartUpload(objectKey, META);
          parts.push(await upload.uploadPart(parts.length + 1, bytes));
        });
      const reader = body.getReader();
      try {
        for (let next = await reader.read(); !next.done; next = await reader.read()) {
          const chunk = next.value;
          size += chunk.byteLength;
          if (size > maxBytes) throw new UniError('too_large', `archive is larger than the limit of ${maxBytes} bytes`, 413);
          hash.update(chunk);
          pending.push(chunk);
          pendingBytes += chunk.byteLength;
          // Strictly more than a part: the bytes left at the end always make a non-empty last part.
          while (pendingBytes > partSize) {
            const all = concat(pending, pendingBytes);
            await sendPart(all.slice(0, partSize));
            pending = [all.slice(partSize)];
            pendingBytes -= partSize;
          }
        }
        const last = concat(pending, pendingBytes);
        if (upload) {
          await sendPart(last);
          await guarded('upload of', objectKey, () => (upload as R2MultipartUploadLike).complete(parts));
        } else {
          await guarded('upload of', objectKey, () => bucket.put(objectKey, last, META));
        }
      } catch (e) {
        const started = upload as R2MultipartUploadLike | null;
        // A binding that has gone away throws even on property access: inside the guard.
        if (started) await guarded('abort of', objectKey, () => started.abort()).catch(() => undefined);
        await guarded('delete of', objectKey, () => bucket.delete(objectKey)).catch(() => undefined);
        // The store's fault, not the client's: it still gets to read why.
        if (isStoreFault(e)) await drainBody(reader, maxBytes - size, STORE_FAULT_DRAIN_MS);
        else await reader.cancel(e).catch(() => undefined);
        throw e;
      }
      reader.releaseLock();
      return { key, digest: `sha256:${hash.digest('hex')}`, size };
    },

    async commit(staged: StagedBlob) {
      const source = prefix + staged.key;
      const target = blobKey(staged.digest);
      if (!(await head(staged.digest))) await guarded('copy to', target, () => copyInParts(source, target, staged.size));
      await guarded('delete of', source, () => bucket.delete(source));
    },

    async discard(staged: StagedBlob) {
      const key = prefix + staged.key;
      await guarded('delete of', key, () => bucket.delete(key));
    },

    head,

    async get(digest: string, range?: BlobRange): Promise<BlobBody | null> {
      const key = blobKey(digest);
      const obj = await guarded('get of', key, () =>
        bucket.get(key, range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {}),
      );
      if (!obj) return null;
      return range ? { body: obj.body, size: obj.size, range } : { body: obj.body, size: obj.size };
    },

    async delete(digest) {
      const key = blobKey(digest);
      await guarded('delete of', key, () => bucket.delete(key));
    },

    async *listBlobs() {
      for await (const objects of listed(committedPrefix)) {
        if (objects.length > 0) {
          yield objects.map((o) => ({ digest: `sha256:${o.key.slice(committedPrefix.length)}`, size: o.size, modifiedAt: o.uploaded }));
        }
      }
    },

    async list() {
      const keys: string[] = [];
      for await (const objects of listed(prefix)) for (const o of objects) keys.push(o.key.slice(prefix.length));
      return keys.sort();
    },
  };
}
