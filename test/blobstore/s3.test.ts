import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3BlobStore } from '../../server/adapters/s3-blob-store.js';
import { defineBlobStoreContract, digestOf, streamOf } from './contract.js';
import { radosgwAvailable, startRadosgw, type Radosgw } from './radosgw.js';

const PART = 5 * 1024 * 1024;
const available = await radosgwAvailable();

/**
 * A loopback proxy to radosgw that answers every other request with S3's throttling reply
 * (503 SlowDown) instead of forwarding it: the fault a busy S3 gives, in front of a real one.
 */
async function throttlingProxy(target: string): Promise<{ url: string; throttled(): number; close(): Promise<void> }> {
  const to = new URL(target);
  let seen = 0;
  let throttled = 0;
  const server: Server = createServer((req, res) => {
    if (seen++ % 2 === 0) {
      throttled++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    throttled: () => throttled,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

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
    // A prefix that needs escaping in CopyObject's source header.
    const a = s3BlobStore({ client: gw.client, bucket, prefix: 'team a+b/' });
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

  it('retries throttled requests with backoff, and reports 503 when the attempts run out', async () => {
    const bucket = await gw.createBucket();
    const proxy = await throttlingProxy(gw.endpoint);
    const through = (maxAttempts: number) =>
      new S3Client({
        endpoint: proxy.url,
        region: gw.env['AWS_REGION']!,
        forcePathStyle: true,
        maxAttempts,
        credentials: { accessKeyId: gw.env['AWS_ACCESS_KEY_ID']!, secretAccessKey: gw.env['AWS_SECRET_ACCESS_KEY']! },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
    try {
      const patient = s3BlobStore({ client: through(5), bucket, partSize: PART });
      const bytes = new Uint8Array(2 * PART + 1000).map((_, i) => i % 251);
      const blob = await patient.stage(streamOf(bytes), bytes.byteLength);
      await patient.commit(blob);
      const got = await patient.get(blob.digest, { start: PART, end: PART + 99 });
      expect(Buffer.from(await new Response(got!.body).arrayBuffer()).equals(bytes.subarray(PART, PART + 100))).toBe(true);
      expect(proxy.throttled()).toBeGreaterThanOrEqual(6);

      const impatient = s3BlobStore({ client: through(1), bucket });
      const err = await impatient.head(blob.digest).then(() => impatient.head(blob.digest)).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'blob_store_unavailable', status: 503 });
      expect((err as Error).message).toMatch(/HeadObject .*sha256\/[0-9a-f]{64} failed/);
    } finally {
      await proxy.close();
    }
  });

  it('check() names a missing bucket', async () => {
    const store = s3BlobStore({ client: gw.client, bucket: 'no-such-bucket-here' });
    await expect(store.check()).rejects.toThrow(/S3 bucket "no-such-bucket-here" does not exist/);
  });
});
