/**
 * Mirrors that hold everything, as a user lives through it, on the folder store and on S3
 * (radosgw): `uni pkg get` through a mirror pulls one version's archive, then `uni mirror
 * sync` into the same data fills the archives pull-through left out, so an --offline server
 * on that data serves every version; --follow started after pull-through does the same; a
 * blob deleted and one corrupted in the store are listed by `uni mirror verify`, the
 * corrupted one is never served again after `uni serve scrub`, and `verify --repair` fetches
 * both again from the upstream.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { call } from '../helpers/http.js';
import { removeHome, requireBuild, tempHome, uni, waitFor } from '../e2e/harness.js';
import { radosgwAvailable, startRadosgw, type Radosgw } from '../blobstore/radosgw.js';
import { query, removeDir, runUni, sha256, startServer, type Server } from './servers.js';
import { folderBlobs, s3Blobs, type StoreFor, type TestBlobs } from './stores.js';

const s3Available = await radosgwAvailable();
let origin: Server;
const digests: Record<string, string> = {};
const homes: string[] = [];
const dirs: string[] = [];

function home(): string {
  const h = tempHome();
  homes.push(h);
  return h;
}

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'uni-complete-'));
  dirs.push(d);
  return d;
}

async function put(name: string, version: string): Promise<void> {
  const bytes = await buildPackage({ name: name.split('/')[1]!, version });
  const r = await call(origin.url, 'PUT', `/v1/packages/${name}/${version}/x86_64`, { token: origin.adminToken, body: bytes });
  expect(r.status, r.body.toString()).toBe(201);
  digests[`${name}@${version}`] = r.json().digest;
}

beforeAll(async () => {
  requireBuild();
  origin = await startServer();
  await put('library/redis', '7.0.15');
  await put('library/redis', '7.0.16');
  await put('library/glibc', '2.36.0');
});

afterAll(async () => {
  await origin?.stop();
  if (origin) removeDir(origin.dataDir);
  for (const d of dirs) removeDir(d);
  for (const h of homes) removeHome(h);
});

/** A mirror of `library` on `data`, on which `uni pkg get redis` pulled through 7.0.16 only. */
async function mirrorAfterPullThrough(data: string, store: TestBlobs): Promise<void> {
  const mirror = await startServer(['--upstream', origin.url, ...store.args], data);
  try {
    const got = await uni(['pkg', 'get', 'redis', '--json'], { home: home(), registry: mirror.url });
    expect(got.code, got.stderr).toBe(0);
    expect(JSON.parse(got.stdout)[0]).toMatchObject({ name: 'library/redis', version: '7.0.16' });
  } finally {
    await mirror.stop();
  }
  expect(await store.bytes(digests['library/redis@7.0.16']!)).not.toBeNull();
  // The rows of both versions are there, the older one without its archive: the case to fix.
  expect(query(data, "SELECT version FROM artifacts WHERE package = 'library/redis' ORDER BY version")).toEqual([{ version: '7.0.15' }, { version: '7.0.16' }]);
  expect(await store.bytes(digests['library/redis@7.0.15']!)).toBeNull();
}

function defineCompleteMirror(name: string, open: () => Promise<StoreFor>): void {
  describe(`complete mirrors on ${name}`, { timeout: 180_000 }, () => {
    let storeFor: StoreFor;
    let store: TestBlobs;
    beforeAll(async () => {
      storeFor = await open();
    });
    /** A fresh data folder, and `store` pointed at its blobs. */
    const fresh = (): string => {
      const data = dataDir();
      store = storeFor(data);
      return data;
    };

    it('sync after pull-through fills the archives pull-through left out, so an offline server has every version', async () => {
      const data = fresh();
      await mirrorAfterPullThrough(data, store);
      const run = await runUni(['mirror', 'sync', '--from', origin.url, '--namespace', 'library', '--to', data, ...store.args, '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ packages: 2, blobs: 2 });
      for (const key of ['library/redis@7.0.15', 'library/redis@7.0.16', 'library/glibc@2.36.0']) {
        expect(`sha256:${sha256((await store.bytes(digests[key]!))!)}`, key).toBe(digests[key]);
      }
      const again = await runUni(['mirror', 'sync', '--from', origin.url, '--namespace', 'library', '--to', data, ...store.args, '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ packages: 0, blobs: 0 });

      // An archive lost after the sync: a re-run finds it although the feed has nothing new.
      await store.remove(digests['library/glibc@2.36.0']!);
      const repair = await runUni(['mirror', 'sync', '--from', origin.url, '--namespace', 'library', '--to', data, ...store.args, '--json']);
      expect(JSON.parse(repair.stdout)).toMatchObject({ packages: 0, blobs: 1 });

      const offline = await startServer(['--upstream', origin.url, '--offline', ...store.args], data);
      try {
        const got = await uni(['pkg', 'get', 'redis@7.0.15', '--json'], { home: home(), registry: offline.url });
        expect(got.code, got.stderr).toBe(0);
        expect(JSON.parse(got.stdout)[0]).toMatchObject({ version: '7.0.15', digest: digests['library/redis@7.0.15'] });
      } finally {
        await offline.stop();
      }
    });

    it('--follow started after pull-through fetches the archives pull-through left out', async () => {
      const data = fresh();
      await mirrorAfterPullThrough(data, store);
      const follower = await startServer(['--upstream', origin.url, '--follow', '--interval', '200ms', ...store.args], data);
      try {
        let found: Buffer | null = null;
        await waitFor('the older archive', () => {
          void store.bytes(digests['library/redis@7.0.15']!).then((b) => (found = b));
          return found !== null;
        }, 20_000);
        expect(`sha256:${sha256(found!)}`).toBe(digests['library/redis@7.0.15']);
      } finally {
        await follower.stop();
      }
    });

    it('verify lists a deleted and a corrupted archive, scrub stops the corrupted one being served, --repair fetches both again', async () => {
      const data = fresh();
      await mirrorAfterPullThrough(data, store);
      const synced = await runUni(['mirror', 'sync', '--from', origin.url, '--to', data, ...store.args]);
      expect(synced.code, synced.stderr).toBe(0);
      const lost = digests['library/redis@7.0.15']!;
      const rotten = digests['library/redis@7.0.16']!;
      await store.remove(lost);
      const good = (await store.bytes(rotten))!;
      const bad = Buffer.from(good);
      bad[bad.length >> 1] ^= 0xff;
      await store.write(rotten, bad);

      const verify = (...more: string[]) => runUni(['mirror', 'verify', '--data', data, ...store.args, ...more]);
      const listed = await verify();
      expect(listed.code).toBe(1);
      expect(listed.stdout, listed.stderr).toContain(`missing: ${lost} (library/redis@7.0.15 x86_64) is missing from the store`);
      expect(listed.stdout).toContain(`damaged: ${rotten} (library/redis@7.0.16 x86_64) hashes to sha256:${sha256(bad)}`);
      expect(listed.stdout).toContain('checked 3 blobs: 1 missing, 1 damaged');
      expect(listed.stderr).toContain('--repair');
      // Listing changes nothing.
      expect(await store.bytes(rotten)).toEqual(bad);

      const offline = await startServer(['--upstream', origin.url, '--offline', ...store.args], data);
      try {
        const scrub = await runUni(['serve', 'scrub', '--data', data, ...store.args]);
        expect(scrub.code).toBe(1);
        expect(scrub.stdout).toContain(
          `damaged: ${rotten} (library/redis@7.0.16 x86_64) hashes to sha256:${sha256(bad)} (${bad.length} bytes); removed (mirrored from ${origin.url}: uni mirror verify --repair fetches it again)`,
        );
        expect(scrub.stdout).toContain('scrubbed 3 blobs: 1 missing, 1 damaged and removed');
        expect(await store.bytes(rotten)).toBeNull();
        const refused = await call(offline.url, 'GET', `/v1/blobs/sha256/${rotten.slice(7)}`);
        expect(refused.status).toBe(404);

        const repaired = await verify('--repair', '--json');
        expect(repaired.code, repaired.stdout + repaired.stderr).toBe(0);
        const report = JSON.parse(repaired.stdout);
        expect(report).toMatchObject({ checked: 3, left: 0 });
        expect(report.problems.map((p: { digest: string; repaired: boolean }) => [p.digest, p.repaired]).sort()).toEqual([[lost, true], [rotten, true]].sort());
        expect(await store.bytes(rotten)).toEqual(good);
        expect(`sha256:${sha256((await store.bytes(lost))!)}`).toBe(lost);

        const clean = await verify();
        expect(clean.code, clean.stdout).toBe(0);
        expect(clean.stdout).toBe('checked 3 blobs: 0 missing, 0 damaged\n');
        const served = await call(offline.url, 'GET', `/v1/blobs/sha256/${rotten.slice(7)}`);
        expect(served.status).toBe(200);
        expect(sha256(served.body)).toBe(rotten.slice(7));
      } finally {
        await offline.stop();
      }
    });

    it('a blob of a local package cannot be repaired, and verify says where it must come from', async () => {
      const data = fresh();
      const local = await startServer([...store.args], data);
      let digest: string;
      try {
        const r = await call(local.url, 'PUT', '/v1/packages/acme/tool/1.0.0/x86_64', { token: local.adminToken, body: await buildPackage({ name: 'tool', version: '1.0.0' }) });
        expect(r.status).toBe(201);
        digest = r.json().digest;
      } finally {
        await local.stop();
      }
      await store.remove(digest);
      const run = await runUni(['mirror', 'verify', '--data', data, ...store.args, '--repair']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`missing: ${digest} (acme/tool@1.0.0 x86_64) is missing from the store; not repaired: acme/tool was published here, so no upstream holds it: restore the blob from a backup`);
    });
  });
}

defineCompleteMirror('the folder store', async () => folderBlobs());

describe.skipIf(!s3Available)('on radosgw', () => {
  let gw: Radosgw;
  beforeAll(async () => {
    gw = await startRadosgw();
    // The servers and commands take their S3 credentials from the environment, as in production.
    Object.assign(process.env, gw.env);
  }, 300_000);
  afterAll(async () => {
    await gw?.release();
  }, 120_000);
  defineCompleteMirror('the S3 store', async () => s3Blobs(gw, await gw.createBucket()));
});
