/**
 * The registry API suite on Node + SQLite + radosgw S3: `uni serve --blobs s3://...` as a real
 * subprocess against a real Ceph radosgw. Also the presigned redirect, which only S3 offers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { radosgwAvailable, startRadosgw, type Radosgw } from '../blobstore/radosgw.js';
import { buildPackage } from '../helpers/archive.js';
import { call } from '../helpers/http.js';
import { startServerProcess } from '../helpers/node-deployment.js';
import { startS3Deployment } from '../helpers/s3-deployment.js';
import { defineApiSuite, type Deployment } from './suite.js';

const available = await radosgwAvailable();

describe.skipIf(!available)('Node + SQLite + radosgw S3', () => {
  let gw: Radosgw;
  beforeAll(async () => {
    gw = await startRadosgw();
  });
  afterAll(async () => {
    await gw?.release();
  });

  defineApiSuite('Node + SQLite + radosgw S3', () => startS3Deployment(gw));

  it('uni serve refuses to start on a bucket that does not exist or a --blobs it cannot read, and says why', async () => {
    Object.assign(process.env, gw.env);
    const dataDir = mkdtempSync(join(tmpdir(), 'uni-api-s3-'));
    try {
      const missing = `s3://no-such-bucket/x?endpoint=${encodeURIComponent(gw.endpoint)}&forcePathStyle=true`;
      await expect(startServerProcess(dataDir, 'test-admin-token-0123456789', ['--blobs', missing])).rejects.toThrow(
        /server exited with 1:[\s\S]*S3 bucket "no-such-bucket" does not exist/,
      );
      await expect(startServerProcess(dataDir, 'test-admin-token-0123456789', ['--blobs', 'gs://bucket'])).rejects.toThrow(
        /--blobs gs:\/\/bucket: unknown scheme; use a folder path, file:\/\/ or s3:\/\//,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('with presign=true', () => {
    let dep: Deployment;
    beforeAll(async () => {
      dep = await startS3Deployment(gw, '&presign=true');
    });
    afterAll(async () => {
      await dep?.stop();
    });

    it('answers a blob GET with a short-lived redirect to S3 that serves the bytes and ranges', async () => {
      const archive = await buildPackage({ name: 'redirected', version: '1.0.0' });
      const put = await call(dep.baseUrl, 'PUT', '/v1/packages/library/redirected/1.0.0/x86_64', { token: dep.adminToken, body: archive });
      expect(put.status, put.body.toString()).toBe(201);
      const blobPath = `/v1/blobs/${put.json().digest.replace(':', '/')}`;
      const res = await fetch(dep.baseUrl + blobPath, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const location = res.headers.get('location')!;
      expect(location.startsWith(gw.endpoint)).toBe(true);
      expect(location).toMatch(/X-Amz-Expires=300/);
      const followed = await fetch(dep.baseUrl + blobPath);
      expect(Buffer.from(await followed.arrayBuffer()).equals(archive)).toBe(true);
      const ranged = await fetch(dep.baseUrl + blobPath, { headers: { range: 'bytes=10-19' } });
      expect(ranged.status).toBe(206);
      expect(Buffer.from(await ranged.arrayBuffer()).equals(archive.subarray(10, 20))).toBe(true);
    });

    it('still answers 404, not a redirect, for a blob nobody may see', async () => {
      const res = await fetch(`${dep.baseUrl}/v1/blobs/sha256/${'0'.repeat(64)}`, { redirect: 'manual' });
      expect(res.status).toBe(404);
    });
  });
});
