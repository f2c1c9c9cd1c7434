/**
 * The BlobStore port over an R2 bucket binding, with the folder and S3 layout:
 *   PREFIX tmp/<random>     bodies being staged
 *   PREFIX sha256/<hex>     committed blobs
 * R2's put needs a body of known length, and a publish body is a stream of unknown length:
 * staging cuts it into equal parts of a multipart upload, holding one part in memory.
 * R2 has no copy: a commit reads the staged object back part by part into its digest key.
 */
import { createHash } from 'node:crypto';
import { UniError } from '../../schemas/errors.js';
import type { BlobBody, BlobRange, BlobStore, StagedBlob } from '../ports.js';
import { digestHex } from '../store/digest.js';

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
  list(options?: { prefix?: string; cursor?: string }): Promise<{ objects: { key: string }[]; truncated: boolean; cursor?: string }>;
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
  const head = async (digest: string): Promise<{ size: number } | null> => {
    const obj = await bucket.head(blobKey(digest));
    return obj ? { size: obj.size } : null;
  };

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
      await upload.abort().catch(() => undefined);
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
      const sendPart = async (bytes: Uint8Array): Promise<void> => {
        upload ??= await bucket.createMultipartUpload(objectKey, META);
        parts.push(await upload.uploadPart(parts.length + 1, bytes));
      };
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
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
          await (upload as R2MultipartUploadLike).complete(parts);
        } else {
          await bucket.put(objectKey, last, META);
        }
      } catch (e) {
        const started = upload as R2MultipartUploadLike | null;
        if (started) await started.abort().catch(() => undefined);
        await bucket.delete(objectKey).catch(() => undefined);
        throw e;
      }
      return { key, digest: `sha256:${hash.digest('hex')}`, size };
    },

    async commit(staged: StagedBlob) {
      const source = prefix + staged.key;
      if (!(await head(staged.digest))) await copyInParts(source, blobKey(staged.digest), staged.size);
      await bucket.delete(source);
    },

    async discard(staged: StagedBlob) {
      await bucket.delete(prefix + staged.key);
    },

    head,

    async get(digest: string, range?: BlobRange): Promise<BlobBody | null> {
      const key = blobKey(digest);
      const obj = await bucket.get(key, range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {});
      if (!obj) return null;
      return range ? { body: obj.body, size: obj.size, range } : { body: obj.body, size: obj.size };
    },

    async delete(digest) {
      await bucket.delete(blobKey(digest));
    },

    async list() {
      const keys: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
        for (const o of page.objects) keys.push(o.key.slice(prefix.length));
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
      return keys.sort();
    },
  };
}
