/**
 * The blob store a test's registry data uses, as the test reaches into it to lose or corrupt
 * an archive: the folder under DATA/blobs, or a prefix of an S3 bucket (one per data folder,
 * so that the tests sharing a bucket never see each other's blobs).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Radosgw } from '../blobstore/radosgw.js';
import { blobPath } from './servers.js';

export interface TestBlobs {
  /** What `uni serve`, `uni mirror sync --to` and `uni mirror verify` take to use this store. */
  args: string[];
  bytes(digest: string): Promise<Buffer | null>;
  remove(digest: string): Promise<void>;
  write(digest: string, bytes: Buffer): Promise<void>;
}

export type StoreFor = (dataDir: string) => TestBlobs;

export function folderBlobs(): StoreFor {
  return (dataDir) => ({
    args: [],
    bytes: async (digest) => (existsSync(blobPath(dataDir, digest)) ? readFileSync(blobPath(dataDir, digest)) : null),
    remove: async (digest) => rmSync(blobPath(dataDir, digest)),
    write: async (digest, bytes) => writeFileSync(blobPath(dataDir, digest), bytes),
  });
}

export function s3Blobs(gw: Radosgw, bucket: string): StoreFor {
  return (dataDir) => {
    const prefix = `${basename(dataDir)}/`;
    const key = (digest: string): string => `${prefix}sha256/${digest.replace(/^sha256:/, '')}`;
    return {
      args: ['--blobs', `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(gw.endpoint)}&forcePathStyle=true`],
      async bytes(digest) {
        try {
          const res = await gw.client.send(new GetObjectCommand({ Bucket: bucket, Key: key(digest) }));
          return Buffer.from(await res.Body!.transformToByteArray());
        } catch (e) {
          if (e instanceof NoSuchKey) return null;
          throw e;
        }
      },
      remove: async (digest) => {
        await gw.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key(digest) }));
      },
      write: async (digest, bytes) => {
        await gw.client.send(new PutObjectCommand({ Bucket: bucket, Key: key(digest), Body: bytes }));
      },
    };
  };
}
