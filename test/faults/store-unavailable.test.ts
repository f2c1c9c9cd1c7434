/**
 * Fault class: the blob store fails (a folder on a tmpfs remounted read-only, a damaged folder,
 * an S3 endpoint that stops). Publishes and downloads answer 503 blob_store_unavailable, never
 * 404 for a blob the registry holds and never `internal`; nothing is kept; once the store is
 * back, the same requests succeed. workerd: R2 cannot be made to fail under a running
 * Miniflare deployment, so the R2 adapter's faults are checked by the BlobStore contract
 * (test/workers/r2-blob-store.test.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../server/adapters/fs-blob-store.js';
import { radosgwAvailable, startRadosgw, type Radosgw } from '../blobstore/radosgw.js';
import { buildPackage } from '../helpers/archive.js';
import { call, expectError } from '../helpers/http.js';
import { snapshotDataDir, startServerProcess, type ServerProcess } from '../helpers/node-deployment.js';
import { startS3Deployment, type S3Deployment } from '../helpers/s3-deployment.js';
import { tcpRelay, type TcpRelay } from '../helpers/tcp-relay.js';
import { mountTmpfs, tmpfsAvailable, type Tmpfs } from '../helpers/tmpfs.js';
import { snapshotOf, type Snapshot } from './deployments.js';

const MiB = 1024 * 1024;
const ADMIN = 'test-admin-unavailable-token-0123456789';
const UNAVAILABLE = /^blob store .+: .+ failed: /;

describe.skipIf(!tmpfsAvailable())('Node + folder on a tmpfs remounted read-only', () => {
  let fs: Tmpfs;
  let dataDir: string;
  let server: ServerProcess;
  const blobsDir = () => join(fs.dir, 'blobs');

  beforeAll(async () => {
    fs = mountTmpfs(32 * MiB);
    mkdirSync(blobsDir());
    dataDir = mkdtempSync(join(tmpdir(), 'uni-ro-data-'));
    mkdirSync(join(dataDir, 'blobs'));
    server = await startServerProcess(dataDir, ADMIN, ['--blobs', blobsDir()]);
  });
  afterAll(async () => {
    await server?.stop();
    fs?.unmount();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const snapshot = async (): Promise<Snapshot> => ({ rows: snapshotDataDir(dataDir).rows as Snapshot['rows'], blobs: await fsBlobStore(blobsDir()).list() });

  it('refuses a publish with 503 while read-only, still serves what it holds, and publishes once writable', async () => {
    const first = await buildPackage({ name: 'ro', version: '1.0.0' });
    const pub = await call(server.url, 'PUT', '/v1/packages/library/ro/1.0.0/x86_64', { token: ADMIN, body: first });
    expect(pub.status, pub.body.toString()).toBe(201);
    fs.readOnly();
    try {
      const before = await snapshot();
      const second = await buildPackage({ name: 'ro', version: '1.0.1' });
      const refused = await call(server.url, 'PUT', '/v1/packages/library/ro/1.0.1/x86_64', { token: ADMIN, body: second });
      expectError(refused, 503, new RegExp(`^blob store folder ${blobsDir()}: creating tmp/[0-9a-f]+ failed: EROFS`), 'blob_store_unavailable');
      expect(await snapshot()).toEqual(before);
      const got = await call(server.url, 'GET', `/v1/blobs/${pub.json().digest.replace(':', '/')}`);
      expect(got.status).toBe(200);
      expect(got.body.equals(first)).toBe(true);
    } finally {
      fs.writable();
    }
    const retried = await call(server.url, 'PUT', '/v1/packages/library/ro/1.0.1/x86_64', { token: ADMIN, body: await buildPackage({ name: 'ro', version: '1.0.1' }) });
    expect(retried.status, retried.body.toString()).toBe(201);
  });

  it('answers a blob it cannot read in a damaged folder with 503, not 404', async () => {
    const body = await buildPackage({ name: 'damaged', version: '1.0.0' });
    const digest = (await call(server.url, 'PUT', '/v1/packages/library/damaged/1.0.0/x86_64', { token: ADMIN, body })).json().digest as string;
    const prefixDir = join(blobsDir(), 'sha256', digest.slice(7, 9));
    renameSync(prefixDir, `${prefixDir}.moved`);
    writeFileSync(prefixDir, 'not a folder');
    try {
      // The store cannot be listed in this state either: the rows are the snapshot.
      const before = snapshotDataDir(dataDir).rows;
      expectError(await call(server.url, 'GET', `/v1/blobs/sha256/${digest.slice(7)}`), 503, /ENOTDIR/, 'blob_store_unavailable');
      expect(snapshotDataDir(dataDir).rows).toEqual(before);
    } finally {
      rmSync(prefixDir);
      renameSync(`${prefixDir}.moved`, prefixDir);
    }
    expect((await call(server.url, 'GET', `/v1/blobs/sha256/${digest.slice(7)}`)).status).toBe(200);
  });
});

describe.skipIf(!(await radosgwAvailable()))('Node + radosgw S3 whose endpoint stops', () => {
  let gw: Radosgw;
  let relay: TcpRelay;
  let dep: S3Deployment;
  beforeAll(async () => {
    gw = await startRadosgw();
    relay = await tcpRelay(gw.endpoint);
    // One attempt per request: the SDK's retries would only make the fault slower to show.
    dep = await startS3Deployment(gw, '&maxAttempts=1', relay.url);
  });
  afterAll(async () => {
    await dep?.stop();
    await relay?.stop();
    await gw?.release();
  });

  it('answers 503 to a publish and to a download while S3 is gone, keeps nothing, and serves again once it is back', async () => {
    const first = await buildPackage({ name: 'gone', version: '1.0.0' });
    const pub = await call(dep.baseUrl, 'PUT', '/v1/packages/library/gone/1.0.0/x86_64', { token: dep.adminToken, body: first });
    expect(pub.status, pub.body.toString()).toBe(201);
    const blobPath = `/v1/blobs/${pub.json().digest.replace(':', '/')}`;
    await relay.stop();
    let before: Snapshot;
    try {
      before = await snapshotOf(dep);
      const refused = await call(dep.baseUrl, 'PUT', '/v1/packages/library/gone/1.0.1/x86_64', { token: dep.adminToken, body: await buildPackage({ name: 'gone', version: '1.0.1' }) });
      expectError(refused, 503, UNAVAILABLE, 'blob_store_unavailable');
      expect(JSON.parse(refused.body.toString()).error.message).toMatch(/^blob store S3 bucket uni-test-[0-9a-f]+: /);
      expectError(await call(dep.baseUrl, 'GET', blobPath), 503, /HeadObject .*failed/, 'blob_store_unavailable');
    } finally {
      await relay.resume();
    }
    expect(await snapshotOf(dep)).toEqual(before);
    const got = await call(dep.baseUrl, 'GET', blobPath);
    expect(got.status).toBe(200);
    expect(got.body.equals(first)).toBe(true);
  });
});
