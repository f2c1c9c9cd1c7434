/**
 * `uni serve --blobs URL`: where archives live. A folder by default (DATA/blobs); an
 * `s3://BUCKET/PREFIX?...` URL puts them in any S3 API (see docs/deploy.md).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UniError } from '../../protocol/errors.js';
import { fsBlobStore } from '../adapters/fs-blob-store.js';
import { s3BlobStoreFromUrl } from '../adapters/s3-url.js';
import type { BlobStore } from '../ports.js';

export interface BlobsServeOptions {
  blobs?: string;
}

export function addBlobsServeOption(cmd: Command): Command {
  return cmd.option(
    '--blobs <url>',
    'archive store: a folder path, file:///path, or s3://BUCKET/PREFIX?endpoint=URL&region=R&forcePathStyle=true&presign=true ' +
      '(S3 credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY); default DATA/blobs',
  );
}

/** The store `--blobs` names, checked to be reachable, or undefined for the default folder. */
export async function blobStoreFromOption(opts: BlobsServeOptions): Promise<BlobStore | undefined> {
  const url = opts.blobs;
  if (url === undefined) return undefined;
  if (url.startsWith('s3://')) {
    const store = s3BlobStoreFromUrl(url);
    await store.check();
    return store;
  }
  if (url.startsWith('file://')) return fsBlobStore(new URL(url).pathname);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new UniError('usage', `--blobs ${url}: unknown scheme; use a folder path, file:// or s3://`);
  }
  return fsBlobStore(resolve(url));
}
