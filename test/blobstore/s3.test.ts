import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3BlobStore } from '../../server/adapters/s3-blob-store.js';
import { defineBlobStoreContract, digestOf, streamOf } from './contract.js';
import { radosgwAvailable, startRadosgw, type Radosgw } from './radosgw.js';

const PART = 5 * 1024 * 1024;
const available = await radosgwAvailable();

describe.skipIf(!available)('S3 adapter on radosgw', () => {
  let gw: Radosgw;
  beforeAll(async () => {
    gw = await startRadosgw();
  });
  afterAll(async () => {
    await gw?.release();
  });

  defineBlobStoreContract(
    'S3 (radosgw)',
    async () => {
      const bucket = await gw.createBucket();
      const store = s3BlobStore({ client: gw.client, bucket, prefix: 'reg/', partSize: PART });
      return {
        store,
        // Unfinished multipart uploads hold storage too: they count as keys left behind.
        keys: async () => {
          const uploads = await gw.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
          return [...(await store.list()), ...(uploads.Uploads ?? []).map((u) => `upload:${u.Key}`)];
        },
        close: async () => undefined,
      };
    },
    { multipartBytes: 2 * PART },
  );

  it('keeps keys under its prefix only, so two registries can share a bucket', async () => {
    const bucket = await gw.createBucket();
    const a = s3BlobStore({ client: gw.client, bucket, prefix: 'a/' });
    const b = s3BlobStore({ client: gw.client, bucket, prefix: 'b/' });
    const bytes = new TextEncoder().encode('only in a');
    await a.commit(await a.stage(streamOf(bytes), 100));
    expect(await a.head(digestOf(bytes))).toEqual({ size: bytes.byteLength });
    expect(await b.head(digestOf(bytes))).toBeNull();
    expect(await b.list()).toEqual([]);
  });

  it('presigns a GET that fetches the blob straight from S3 when redirects are on, and not otherwise', async () => {
    const bucket = await gw.createBucket();
    const plain = s3BlobStore({ client: gw.client, bucket });
    const redirecting = s3BlobStore({ client: gw.client, bucket, presignedRedirects: true });
    const bytes = new TextEncoder().encode('presigned bytes');
    await plain.commit(await plain.stage(streamOf(bytes), 100));
    expect(await plain.presign!(digestOf(bytes), 60)).toBeNull();
    const url = await redirecting.presign!(digestOf(bytes), 60);
    expect(url).toMatch(/X-Amz-Expires=60/);
    const res = await fetch(url!);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('presigned bytes');
    const tampered = url!.replace(digestOf(bytes).slice(7), digestOf(new Uint8Array(1)).slice(7));
    expect((await fetch(tampered)).status).toBe(403);
  });

  it('check() names a missing bucket', async () => {
    const store = s3BlobStore({ client: gw.client, bucket: 'no-such-bucket-here' });
    await expect(store.check()).rejects.toThrow(/S3 bucket "no-such-bucket-here" does not exist/);
  });
});
