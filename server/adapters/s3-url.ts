/**
 * `--blobs s3://BUCKET/PREFIX?endpoint=URL&region=R&forcePathStyle=true&presign=true`: an S3
 * blob store from one URL. Credentials come from the SDK's usual chain (AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance roles), never from the URL, so that the URL
 * can be logged.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { UniError } from '../../protocol/errors.js';
import { s3BlobStore, type S3BlobStore } from './s3-blob-store.js';

const KNOWN = new Set(['endpoint', 'region', 'forcePathStyle', 'presign', 'maxAttempts', 'partSize']);
const MIN_PART = 5 * 1024 * 1024;

function bad(url: string, why: string): UniError {
  return new UniError('bad_config', `--blobs ${url}: ${why}`);
}

function flag(url: string, params: URLSearchParams, name: string): boolean {
  const v = params.get(name);
  if (v === null || v === 'false') return false;
  if (v === 'true' || v === '') return true;
  throw bad(url, `${name} must be true or false, not "${v}"`);
}

function whole(url: string, params: URLSearchParams, name: string, min: number, fallback: number): number {
  const v = params.get(name);
  if (v === null) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) throw bad(url, `${name} must be a whole number of at least ${min}`);
  return Number(v);
}

export function s3BlobStoreFromUrl(url: string, env: Record<string, string | undefined> = process.env): S3BlobStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad(url, 'not a URL');
  }
  if (parsed.protocol !== 's3:') throw bad(url, 'expected s3://BUCKET/PREFIX');
  const bucket = parsed.hostname;
  if (!bucket) throw bad(url, 'no bucket name');
  for (const key of parsed.searchParams.keys()) {
    if (!KNOWN.has(key)) throw bad(url, `unknown option "${key}" (known: ${[...KNOWN].join(', ')})`);
  }
  const path = decodeURIComponent(parsed.pathname.replace(/^\/+/, ''));
  const prefix = path === '' || path.endsWith('/') ? path : `${path}/`;
  const params = parsed.searchParams;
  const endpoint = params.get('endpoint');
  const client = new S3Client({
    region: params.get('region') ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: flag(url, params, 'forcePathStyle'),
    // The SDK's standard strategy: exponential backoff with jitter on throttling, 5xx and
    // dropped connections. Each multipart part is buffered, so every request can be replayed.
    maxAttempts: whole(url, params, 'maxAttempts', 1, 5),
    retryMode: 'standard',
    // Checksums only where S3 demands them: Ceph and older S3-compatible stores refuse the
    // aws-chunked trailers the SDK adds by default, and the registry checks sha256 itself.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return s3BlobStore({
    client,
    bucket,
    prefix,
    partSize: whole(url, params, 'partSize', MIN_PART, 8 * 1024 * 1024),
    presignedRedirects: flag(url, params, 'presign'),
  });
}
