/**
 * Fault class: blobs left without an artifact (what a crash between a publish's commit and its
 * record leaves, put straight into the store here). `uni serve gc` (Node, folder and S3),
 * `uni serve --gc-every` and the Workers cron trigger delete them once past the grace period,
 * report what they freed, and never touch a referenced blob.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsBlobStore } from '../../server/adapters/fs-blob-store.js';
import { r2BlobStore, type R2Binding } from '../../server/adapters/r2-blob-store.js';
import { s3BlobStore } from '../../server/adapters/s3-blob-store.js';
import type { BlobStore } from '../../server/ports.js';
import { radosgwAvailable, startRadosgw, type Radosgw } from '../blobstore/radosgw.js';
import { streamOf } from '../blobstore/contract.js';
import { buildPackage } from '../helpers/archive.js';
import { call } from '../helpers/http.js';
import { startNodeFsDeployment, type NodeFsDeployment } from '../helpers/node-deployment.js';
import { startS3Deployment, type S3Deployment } from '../helpers/s3-deployment.js';
import { uni } from '../e2e/harness.js';
import { startWorkersDeployment, type WorkersDeployment } from '../workers/deployment.js';
import { blobDigests, snapshotOf } from './deployments.js';
import type { Deployment } from '../api/suite.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const UNI = join(import.meta.dirname, '..', '..', 'bin', 'uni.js');

async function leftover(store: BlobStore, size: number): Promise<string> {
  const staged = await store.stage(streamOf(randomBytes(size)), size);
  await store.commit(staged);
  return staged.digest;
}

async function published(dep: Deployment, name: string): Promise<{ digest: string; body: Buffer }> {
  const body = await buildPackage({ name, version: '1.0.0' });
  const res = await call(dep.baseUrl, 'PUT', `/v1/packages/library/${name}/1.0.0/x86_64`, { token: dep.adminToken, body });
  expect(res.status, res.body.toString()).toBe(201);
  return { digest: res.json().digest, body };
}

async function stillServed(dep: Deployment, p: { digest: string; body: Buffer }): Promise<void> {
  const got = await call(dep.baseUrl, 'GET', `/v1/blobs/${p.digest.replace(':', '/')}`);
  expect(got.status).toBe(200);
  expect(got.body.equals(p.body)).toBe(true);
}

async function gcCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [UNI, 'serve', 'gc', ...args, '--json'], { env });
  return JSON.parse(stdout);
}

describe('Node + folder', () => {
  let dep: NodeFsDeployment;
  beforeAll(async () => {
    dep = await startNodeFsDeployment();
  });
  afterAll(async () => {
    await dep?.stop();
  });

  it('uni serve gc keeps young leftovers, then deletes them past --grace, reporting count and bytes', async () => {
    const store = fsBlobStore(join(dep.dataDir, 'blobs'));
    const kept = await published(dep, 'kept');
    const orphans = [await leftover(store, 4000), await leftover(store, 6000)];
    const before = await snapshotOf(dep);
    expect(await gcCli(['--data', dep.dataDir])).toMatchObject({ deleted: 0, freedBytes: 0, young: 2, graceMs: 3_600_000 });
    expect(await snapshotOf(dep)).toEqual(before);
    expect(await gcCli(['--data', dep.dataDir, '--grace', '0s'])).toMatchObject({ deleted: 2, freedBytes: 10_000, young: 0 });
    const after = await snapshotOf(dep);
    expect(blobDigests(after)).toEqual(blobDigests(before).filter((d) => !orphans.includes(d)));
    expect(after.rows).toEqual(before.rows);
    await stillServed(dep, kept);
  });

  it('uni serve gc refuses a folder that holds no registry, deleting nothing', async () => {
    const err = await run(process.execPath, [UNI, 'serve', 'gc', '--data', join(dep.dataDir, 'blobs')]).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/holds no registry\.sqlite: not a registry data folder/);
  });
});

describe('Node + folder with --gc-every', () => {
  let dep: NodeFsDeployment;
  beforeAll(async () => {
    dep = await startNodeFsDeployment(['--gc-every', '1s', '--gc-grace', '0s']);
  });
  afterAll(async () => {
    await dep?.stop();
  });

  it('deletes a leftover within a period and logs what it freed', async () => {
    const kept = await published(dep, 'periodic');
    const orphan = await leftover(fsBlobStore(join(dep.dataDir, 'blobs')), 3000);
    const deadline = Date.now() + 10_000;
    while (!/gc: 1 unreferenced blob\(s\) deleted, 3000 bytes/.test(dep.server.stdout()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(dep.server.stdout()).toMatch(/gc: 1 unreferenced blob\(s\) deleted, 3000 bytes \(0\.0 MiB\) freed, of 2 scanned/);
    expect(blobDigests(await snapshotOf(dep))).not.toContain(orphan);
    await stillServed(dep, kept);
  });
});

describe.skipIf(!(await radosgwAvailable()))('Node + radosgw S3', () => {
  let gw: Radosgw;
  let dep: S3Deployment;
  beforeAll(async () => {
    gw = await startRadosgw();
    dep = await startS3Deployment(gw);
  });
  afterAll(async () => {
    await dep?.stop();
    await gw?.release();
  });

  it('uni serve gc --blobs s3://... deletes leftovers past --grace and keeps what artifacts reference', async () => {
    const bucket = /^s3:\/\/([^/]+)\//.exec(dep.blobsUrl)![1]!;
    const store = s3BlobStore({ client: gw.client, bucket, prefix: 'registry/' });
    const kept = await published(dep, 'kept-s3');
    const orphan = await leftover(store, 5000);
    const env = { ...process.env, ...gw.env };
    expect(await gcCli(['--data', dep.dataDir, '--blobs', dep.blobsUrl], env)).toMatchObject({ deleted: 0, young: 1 });
    expect(await gcCli(['--data', dep.dataDir, '--blobs', dep.blobsUrl, '--grace', '0s'], env)).toMatchObject({ deleted: 1, freedBytes: 5000 });
    expect(blobDigests(await snapshotOf(dep))).toEqual([kept.digest]);
    expect(orphan).not.toBe(kept.digest);
    await stillServed(dep, kept);
  });
});

describe('workerd + D1 + R2, cron trigger', () => {
  let dep: WorkersDeployment;
  beforeAll(async () => {
    dep = await startWorkersDeployment({ UNI_GC_GRACE: '0s' });
  });
  afterAll(async () => {
    await dep?.stop();
  });

  it('the scheduled handler deletes leftovers and keeps what artifacts reference', async () => {
    const store = r2BlobStore((await dep.mf.getR2Bucket('BLOBS')) as unknown as R2Binding);
    const kept = await published(dep, 'kept-r2');
    const orphan = await leftover(store, 7000);
    expect(blobDigests(await snapshotOf(dep))).toEqual([kept.digest, orphan].sort());
    const worker = await dep.mf.getWorker();
    const outcome = await worker.scheduled({ cron: '17 3 * * *' });
    expect(outcome.outcome).toBe('ok');
    expect(blobDigests(await snapshotOf(dep))).toEqual([kept.digest]);
    await stillServed(dep, kept);
  });
});
