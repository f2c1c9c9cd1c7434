/**
 * The BlobStore port over any S3 API (AWS S3, R2's S3 API, Ceph radosgw, MinIO):
 *   PREFIX tmp/<random>     bodies being staged, streamed in as a multipart upload
 *   PREFIX sha256/<hex>     committed blobs, named by the sha256 of their bytes
 * S3 has no rename: a commit is a server-side copy then a delete of the staged object, so a
 * reader never sees a blob under its digest before it was validated.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { UniError } from '../../protocol/errors.js';
import type { BlobBody, BlobRange, BlobStore, StagedBlob } from '../ports.js';
import { digestHex } from '../store/digest.js';
import { storeFull, storeUnavailable } from './blob-faults.js';
import { drainBody, STORE_FAULT_DRAIN_MS } from '../drain.js';

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, "" or ending in "/". */
  prefix?: string;
  /** Bytes per multipart part; the server holds about partSize × queueSize of a publish in memory. */
  partSize?: number;
  queueSize?: number;
  /** When set, blob GETs are answered with a redirect to a presigned URL instead of the bytes. */
  presignedRedirects?: boolean;
}

export interface S3BlobStore extends BlobStore {
  /** Every key under the prefix, committed (`sha256/<hex>`) or staged (`tmp/<name>`): for tests and ops. */
  list(): Promise<string[]>;
  /** Fails with a message that names the bucket when it is missing or the credentials are refused. */
  check(): Promise<void>;
  /**
   * Deletes `tmp/` objects and aborts `tmp/` multipart uploads. An upload is judged by its
   * newest part, not its start: a publish in progress sends one every partSize bytes, however
   * long it has been running.
   */
  sweepStaged(olderThanMs: number, now: Date): Promise<number>;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 4;

function statusOf(e: unknown): number | undefined {
  return e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
}

/** A bucket over its quota (radosgw, MinIO) is full, not unreachable. */
function isQuotaExceeded(e: unknown): boolean {
  return e instanceof S3ServiceException && /QuotaExceeded/.test(e.name);
}

function tooLarge(maxBytes: number): UniError {
  return new UniError('too_large', `archive is larger than the limit of ${maxBytes} bytes`, 413);
}

export function s3BlobStore(opts: S3BlobStoreOptions): S3BlobStore {
  const { client, bucket } = opts;
  const prefix = opts.prefix ?? '';
  const blobKey = (digest: string): string => `${prefix}sha256/${digestHex(digest)}`;
  const stagingPrefix = `${prefix}tmp/`;
  const committedPrefix = `${prefix}sha256/`;
  const label = `S3 bucket ${bucket}`;
  /** A store failure the client may retry later; the message names the operation and key. */
  const unavailable = (op: string, key: string, e: unknown): UniError =>
    isQuotaExceeded(e) ? storeFull(label, op, key) : storeUnavailable(label, op, key, e);

  const call = async <T>(op: string, key: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (e) {
      throw unavailable(op, key, e);
    }
  };

  const deleteKey = async (key: string): Promise<void> => {
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e) {
      if (statusOf(e) !== 404) throw unavailable('DeleteObject', key, e);
    }
  };

  const head = async (digest: string): Promise<{ size: number } | null> => {
    const key = blobKey(digest);
    try {
      const res = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { size: res.ContentLength ?? 0 };
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw unavailable('HeadObject', key, e);
    }
  };

  const sweepObjects = async (cutoff: number): Promise<number> => {
    let removed = 0;
    let token: string | undefined;
    do {
      const res = await call('ListObjectsV2', stagingPrefix, () =>
        client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: stagingPrefix, ContinuationToken: token })),
      );
      const stale = (res.Contents ?? []).filter((o) => o.Key && o.LastModified && o.LastModified.getTime() < cutoff);
      // A listing page holds at most 1000 keys, which is also DeleteObjects' limit.
      if (stale.length > 0) {
        const deleted = await call('DeleteObjects under', stagingPrefix, () =>
          client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: stale.map((o) => ({ Key: o.Key! })), Quiet: true } })),
        );
        const failed = deleted.Errors?.[0];
        if (failed) throw unavailable('DeleteObject', failed.Key ?? stagingPrefix, new Error(`${failed.Code}: ${failed.Message}`));
        removed += stale.length;
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return removed;
  };

  /** Null when the upload is already gone: completed or aborted by another process meanwhile. */
  const lastPartAt = async (key: string, uploadId: string): Promise<number | null> => {
    let newest = 0;
    let marker: string | undefined;
    do {
      let res;
      try {
        res = await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }));
      } catch (e) {
        if (statusOf(e) === 404) return null;
        throw unavailable('ListParts of', key, e);
      }
      for (const part of res.Parts ?? []) newest = Math.max(newest, part.LastModified?.getTime() ?? 0);
      marker = res.IsTruncated ? res.NextPartNumberMarker : undefined;
    } while (marker);
    return newest;
  };

  const sweepUploads = async (cutoff: number): Promise<number> => {
    let removed = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const res = await call('ListMultipartUploads', stagingPrefix, () =>
        client.send(
          new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: stagingPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        ),
      );
      for (const { Key: key, UploadId: uploadId, Initiated: initiated } of res.Uploads ?? []) {
        if (!key || !uploadId || !initiated || initiated.getTime() >= cutoff) continue;
        const last = await lastPartAt(key, uploadId);
        if (last === null || last >= cutoff) continue;
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
          removed += 1;
        } catch (e) {
          if (statusOf(e) !== 404) throw unavailable('AbortMultipartUpload of', key, e);
        }
      }
      [keyMarker, uploadIdMarker] = res.IsTruncated ? [res.NextKeyMarker, res.NextUploadIdMarker] : [undefined, undefined];
    } while (keyMarker);
    return removed;
  };

  const store: S3BlobStore = {
    async stage(body, maxBytes) {
      const key = `tmp/${randomBytes(12).toString('hex')}`;
      const objectKey = prefix + key;
      const hash = createHash('sha256');
      let size = 0;
      let overLimit = false;
      let bodyFailed = false;
      // A reader, not for-await: when the upload fails, ending this generator must leave the
      // body readable, so that the rest of it can be drained before the fault is answered.
      const reader = body.getReader();
      async function* hashed(): AsyncGenerator<Uint8Array> {
        for (;;) {
          const next = await reader.read().catch((e: unknown) => {
            bodyFailed = true;
            throw e;
          });
          if (next.done) return;
          const chunk = next.value;
          size += chunk.byteLength;
          if (size > maxBytes) {
            overLimit = true;
            throw tooLarge(maxBytes);
          }
          hash.update(chunk);
          yield chunk;
        }
      }
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: objectKey, Body: Readable.from(hashed()), ContentType: 'application/gzip' },
        partSize: opts.partSize ?? DEFAULT_PART_SIZE,
        queueSize: opts.queueSize ?? DEFAULT_QUEUE_SIZE,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (e) {
        // A multipart upload is aborted by lib-storage; a single PUT may still have landed.
        await deleteKey(objectKey).catch(() => undefined);
        if (overLimit) throw tooLarge(maxBytes);
        if (bodyFailed || e instanceof UniError) throw e;
        await drainBody(reader, maxBytes - size, STORE_FAULT_DRAIN_MS);
        throw unavailable('upload of', objectKey, e);
      }
      reader.releaseLock();
      return { key, digest: `sha256:${hash.digest('hex')}`, size };
    },

    async commit(staged: StagedBlob) {
      const target = blobKey(staged.digest);
      const source = prefix + staged.key;
      if (!(await head(staged.digest))) {
        try {
          // Copying onto an existing digest key is harmless: the same digest means the same bytes.
          await client.send(
            new CopyObjectCommand({
              Bucket: bucket,
              Key: target,
              CopySource: `${bucket}/${source.split('/').map(encodeURIComponent).join('/')}`,
              ContentType: 'application/gzip',
              MetadataDirective: 'REPLACE',
            }),
          );
        } catch (e) {
          throw unavailable('CopyObject to', target, e);
        }
      }
      await deleteKey(source);
    },

    async discard(staged: StagedBlob) {
      await deleteKey(prefix + staged.key);
    },

    head,

    async get(digest: string, range?: BlobRange): Promise<BlobBody | null> {
      const key = blobKey(digest);
      try {
        const res = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
        );
        if (!res.Body) throw new Error('empty response body');
        const body = res.Body.transformToWebStream() as ReadableStream<Uint8Array>;
        if (!range) return { body, size: res.ContentLength ?? 0 };
        const total = /\/(\d+)$/.exec(res.ContentRange ?? '');
        if (!total) throw new Error(`no total size in Content-Range "${res.ContentRange ?? ''}"`);
        return { body, size: Number(total[1]), range };
      } catch (e) {
        if (statusOf(e) === 404) return null;
        throw unavailable('GetObject', key, e);
      }
    },

    async delete(digest) {
      await deleteKey(blobKey(digest));
    },

    async presign(digest, ttlSeconds) {
      if (!opts.presignedRedirects) return null;
      return getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: blobKey(digest) }), { expiresIn: ttlSeconds });
    },

    async sweepStaged(olderThanMs, now) {
      const cutoff = now.getTime() - olderThanMs;
      return (await sweepObjects(cutoff)) + (await sweepUploads(cutoff));
    },

    async *listBlobs() {
      let token: string | undefined;
      do {
        const res = await call('ListObjectsV2', committedPrefix, () =>
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: committedPrefix, ContinuationToken: token })),
        );
        const page = (res.Contents ?? []).flatMap((o) =>
          o.Key && o.LastModified ? [{ digest: `sha256:${o.Key.slice(committedPrefix.length)}`, size: o.Size ?? 0, modifiedAt: o.LastModified }] : [],
        );
        if (page.length > 0) yield page;
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
    },

    async list() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const res = await call('ListObjectsV2', prefix, () =>
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) })),
        );
        for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key.slice(prefix.length));
        token = res.IsTruncated ? res.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },

    async check() {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (e) {
        const status = statusOf(e);
        const why = status === 404 ? 'does not exist' : status === 403 ? 'refuses these credentials' : `is unreachable (${(e as Error).message})`;
        throw new UniError('bad_config', `S3 bucket "${bucket}" ${why}`);
      }
    },
  };
  return store;
}
