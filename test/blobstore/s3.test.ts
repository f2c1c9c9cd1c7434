import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { s3BlobStore } from '../../server/adapters/s3-blob-store.js';
import { serverConfig } from '../../server/config.js';
import { openNodeRegistry } from '../../server/node.js';
import { defineBlobStoreContract, defineFullContract, defineUnavailableContract, digestOf, streamOf } from './contract.js';
import { tcpRelay } from '../helpers/tcp-relay.js';
import { radosgwAvailable, startRadosgw, type Radosgw } from './radosgw.js';

const MiB = 1024 * 1024;
const PART = 5 * 1024 * 1024;
const HOUR = 60 * 60 * 1000;
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

  defineUnavailableContract('S3 endpoint that stops (a loopback relay to radosgw, closed)', async () => {
    const bucket = await gw.createBucket();
    const relay = await tcpRelay(gw.endpoint);
    const client = new S3Client({
      endpoint: relay.url,
      region: gw.env['AWS_REGION']!,
      forcePathStyle: true,
      // One attempt: the SDK's retries would only make the fault slower to show.
      maxAttempts: 1,
      credentials: { accessKeyId: gw.env['AWS_ACCESS_KEY_ID']!, secretAccessKey: gw.env['AWS_SECRET_ACCESS_KEY']! },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const store = s3BlobStore({ client, bucket, prefix: 'reg/', partSize: PART });
    const view = s3BlobStore({ client: gw.client, bucket, prefix: 'reg/' });
    return {
      store,
      keys: async () => {
        const uploads = await gw.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
        return [...(await view.list()), ...(uploads.Uploads ?? []).map((u) => `upload:${u.Key}`)];
      },
      break: () => relay.stop(),
      repair: () => relay.resume(),
      close: () => relay.stop(),
    };
  });

  defineFullContract('S3 bucket over its radosgw quota (QuotaExceeded)', async () => {
    const bucket = await gw.createBucket();
    await gw.setBucketQuota(bucket, MiB);
    const store = s3BlobStore({ client: gw.client, bucket, prefix: 'reg/', partSize: PART });
    return {
      store,
      freeBytes: MiB,
      keys: async () => {
        const uploads = await gw.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
        return [...(await store.list()), ...(uploads.Uploads ?? []).map((u) => `upload:${u.Key}`)];
      },
      freeUp: () => gw.setBucketQuota(bucket, null),
      close: async () => undefined,
    };
  });

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

  describe('sweepStaged', () => {
    const objectsIn = async (bucket: string): Promise<string[]> =>
      ((await gw.client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!).sort();
    const uploadsIn = async (bucket: string): Promise<string[]> =>
      ((await gw.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => u.Key!).sort();
    const put = (bucket: string, key: string) => gw.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));

    /** What a process killed mid-publish leaves: a multipart upload with a part and no completion; the server's times. */
    async function unfinished(bucket: string, key: string): Promise<{ initiated: number; lastPart: number }> {
      const { UploadId } = await gw.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      // radosgw stamps in milliseconds: the part must land in a later one than the start.
      await new Promise((r) => setTimeout(r, 10));
      await gw.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: 'part one' }));
      const uploads = await gw.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
      const parts = await gw.client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId }));
      return {
        initiated: uploads.Uploads!.find((u) => u.UploadId === UploadId)!.Initiated!.getTime(),
        lastPart: parts.Parts![0]!.LastModified!.getTime(),
      };
    }

    it('removes staged objects and unfinished uploads past the cut-off, and nothing outside PREFIX/tmp/', async () => {
      const bucket = await gw.createBucket();
      const store = s3BlobStore({ client: gw.client, bucket, prefix: 'reg/' });
      const bytes = new TextEncoder().encode('a committed archive');
      await store.commit(await store.stage(streamOf(bytes), 100));
      const leftover = await store.stage(streamOf(new TextEncoder().encode('refused mid-way')), 100);
      await unfinished(bucket, 'reg/tmp/killed');
      for (const key of ['reg/notes', 'reg/tmpfile', 'tmp/outside', 'other/tmp/x']) await put(bucket, key);
      await unfinished(bucket, `reg/sha256/${'0'.repeat(64)}`);
      await unfinished(bucket, 'tmp/outside-upload');
      const objects = await objectsIn(bucket);
      const uploads = await uploadsIn(bucket);

      expect(await store.sweepStaged(HOUR, new Date())).toBe(0);
      expect(await objectsIn(bucket)).toEqual(objects);
      expect(await uploadsIn(bucket)).toEqual(uploads);

      expect(await store.sweepStaged(HOUR, new Date(Date.now() + 2 * HOUR))).toBe(2);
      expect(await objectsIn(bucket)).toEqual(objects.filter((k) => k !== `reg/${leftover.key}`));
      expect(await uploadsIn(bucket)).toEqual(uploads.filter((k) => k !== 'reg/tmp/killed'));
      const got = await store.get(digestOf(bytes));
      expect(await new Response(got!.body).text()).toBe('a committed archive');
    });

    it('keeps an upload that received a part within the cut-off, however long ago it started', async () => {
      const bucket = await gw.createBucket();
      const store = s3BlobStore({ client: gw.client, bucket });
      const { initiated, lastPart } = await unfinished(bucket, 'tmp/slow-publish');
      expect(lastPart).toBeGreaterThan(initiated);
      expect(await store.sweepStaged(HOUR, new Date(lastPart + HOUR))).toBe(0);
      expect(await uploadsIn(bucket)).toEqual(['tmp/slow-publish']);
      expect(await store.sweepStaged(HOUR, new Date(lastPart + HOUR + 1))).toBe(1);
      expect(await uploadsIn(bucket)).toEqual([]);
    });

    it('sweeps its own prefix only, so registries can share a bucket', async () => {
      const bucket = await gw.createBucket();
      const root = s3BlobStore({ client: gw.client, bucket });
      const team = s3BlobStore({ client: gw.client, bucket, prefix: 'team/' });
      const body = () => streamOf(new TextEncoder().encode('left behind'));
      await root.stage(body(), 100);
      const teamLeftover = await team.stage(body(), 100);
      await unfinished(bucket, 'tmp/root-upload');
      await unfinished(bucket, 'team/tmp/team-upload');
      const later = new Date(Date.now() + 2 * HOUR);

      expect(await root.sweepStaged(HOUR, later)).toBe(2);
      expect(await objectsIn(bucket)).toEqual([`team/${teamLeftover.key}`]);
      expect(await uploadsIn(bucket)).toEqual(['team/tmp/team-upload']);

      expect(await team.sweepStaged(HOUR, later)).toBe(2);
      expect(await objectsIn(bucket)).toEqual([]);
      expect(await uploadsIn(bucket)).toEqual([]);
    });

    it('runs when the registry starts, and a failing sweep only warns', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'uni-sweep-'));
      const warn = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        const bucket = await gw.createBucket();
        const store = s3BlobStore({ client: gw.client, bucket, prefix: 'reg/' });
        await store.stage(streamOf(new TextEncoder().encode('killed publish')), 100);
        const lines: string[] = [];
        const later = new Date(Date.now() + 2 * HOUR);
        const first = await openNodeRegistry({ dataDir, blobs: store, clock: { now: () => later }, config: serverConfig({ log: (l) => lines.push(l) }) });
        await first.close();
        expect(lines).toContainEqual(expect.stringMatching(/^removed 1 staged upload/));
        expect(await store.list()).toEqual([]);

        const missing = s3BlobStore({ client: gw.client, bucket: 'no-such-bucket-here' });
        const second = await openNodeRegistry({ dataDir, blobs: missing, config: serverConfig({ log: () => undefined }) });
        await second.close();
        expect(warn).toHaveBeenCalledWith(
          expect.stringMatching(/^uni: warning: staged uploads were not swept: blob store S3 bucket no-such-bucket-here: ListObjectsV2 tmp\/ failed: /),
        );
      } finally {
        warn.mockRestore();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  it('check() names a missing bucket', async () => {
    const store = s3BlobStore({ client: gw.client, bucket: 'no-such-bucket-here' });
    await expect(store.check()).rejects.toThrow(/S3 bucket "no-such-bucket-here" does not exist/);
  });
});
