/**
 * Pull-through against two real registries on loopback: an origin and a mirror of its
 * `library` and `acme` namespaces (each a `uni serve` subprocess with its own data folder),
 * and `uni pkg get` pointed at the mirror.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { buildPackage, type TarEntry } from '../helpers/archive.js';
import { call, expectError } from '../helpers/http.js';
import { snapshotDataDir } from '../helpers/node-deployment.js';
import { removeHome, requireBuild, tempHome, uni, waitFor } from '../e2e/harness.js';
import { blobPath, query, removeDir, sha256, stagedFiles, startServer, type Server } from './servers.js';

let origin: Server;
let mirror: Server;
const homes: string[] = [];
const digests: Record<string, string> = {};

function home(): string {
  const h = tempHome();
  homes.push(h);
  return h;
}

const BACKOFF_MS = 4000;

beforeAll(async () => {
  requireBuild();
  origin = await startServer();
  const put = async (name: string, version: string, manifest: Record<string, unknown> = {}, query = '', extra: TarEntry[] = []): Promise<void> => {
    const bytes = await buildPackage({ name: name.split('/')[1]!, version, manifest, extra });
    const r = await call(origin.url, 'PUT', `/v1/packages/${name}/${version}/x86_64${query}`, { token: origin.adminToken, body: bytes });
    expect(r.status, r.body.toString()).toBe(201);
    digests[`${name}@${version}`] = r.json().digest;
  };
  await put('library/glibc', '2.36.0');
  await put('library/redis', '7.2.4', { Dependencies: { glibc: '^2.36' } });
  await put('library/tampered', '1.0.0');
  await put('library/ranged', '1.0.0');
  // Far larger than the socket buffers, so that the client leaves while the mirror still reads.
  const big = Buffer.from(randomBytes(24 * 1024 * 1024));
  await put('library/abandoned', '1.0.0', {}, '', [{ name: 'abandoned_1.0.0/sysroot/big.bin', content: big }]);
  await put('acme/secret', '1.0.0', {}, '?private=true');
  mirror = await startServer([
    '--upstream', origin.url, '--mirror', 'library', '--mirror', 'acme', '--max-age', '0s', '--upstream-backoff', `${BACKOFF_MS}ms`, '--upstream-timeout', '2s',
  ]);
});

afterAll(async () => {
  await mirror?.stop();
  await origin?.stop();
  for (const s of [mirror, origin]) if (s) removeDir(s.dataDir);
  for (const h of homes) removeHome(h);
});

describe('pull-through', { timeout: 120_000 }, () => {
  it('says at start which namespaces it mirrors', async () => {
    const line = `mirroring acme, library from ${origin.url}; every other namespace is local`;
    await waitFor('the mirror to describe itself', () => mirror.process.output().includes(line));
  });

  it('serves a package with its dependencies to `uni pkg get`, fetching documents and blobs from the origin once', async () => {
    const h = home();
    const run = await uni(['pkg', 'get', 'redis', '--json'], { home: h, registry: mirror.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const got = JSON.parse(run.stdout) as { name: string; version: string; digest: string }[];
    expect(got.map((p) => `${p.name}@${p.version} ${p.digest}`)).toEqual([
      `library/glibc@2.36.0 ${digests['library/glibc@2.36.0']}`,
      `library/redis@7.2.4 ${digests['library/redis@7.2.4']}`,
    ]);
    for (const key of ['library/glibc@2.36.0', 'library/redis@7.2.4']) {
      expect(sha256(readFileSync(blobPath(mirror.dataDir, digests[key]!)))).toBe(digests[key]!.slice(7));
    }
    expect(stagedFiles(mirror.dataDir)).toEqual([]);
    // The mirror's document is the origin's, served from its own tables.
    const fromOrigin = await call(origin.url, 'GET', '/v1/packages/library/redis');
    const fromMirror = await call(mirror.url, 'GET', '/v1/packages/library/redis');
    expect(fromMirror.json()).toEqual(fromOrigin.json());
    const art = await call(mirror.url, 'GET', '/v1/packages/library/redis/7.2.4/x86_64');
    expect(art.json()).toEqual((await call(origin.url, 'GET', '/v1/packages/library/redis/7.2.4/x86_64')).json());
    // Each blob crossed once: the second get is served from the mirror's store.
    const blobGets = (await origin.requests()).filter((l) => l.startsWith('GET /v1/blobs/'));
    expect(blobGets).toHaveLength(2);
    const again = await uni(['pkg', 'get', 'redis', '--json'], { home: home(), registry: mirror.url });
    expect(again.code, again.stderr).toBe(0);
    expect((await origin.requests()).filter((l) => l.startsWith('GET /v1/blobs/'))).toHaveLength(2);
  });

  it('revalidates an expired document with If-None-Match and marks where answers come from', async () => {
    const before = (await origin.requests()).length;
    const r = await call(mirror.url, 'GET', '/v1/packages/library/redis');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-uni-source')).toBe('upstream');
    expect(r.headers.get('x-uni-stale')).toBeNull();
    expect((await origin.requests()).slice(before)).toEqual([expect.stringMatching(/^GET \/v1\/packages\/library\/redis 304 /)]);
  });

  it('lists cached packages as "mirror" and its own as "local", and never looks a local name up upstream', async () => {
    const local = await buildPackage({ name: 'app', version: '1.0.0' });
    const r = await call(mirror.url, 'PUT', '/v1/packages/team/app/1.0.0/x86_64?private=true', { token: mirror.adminToken, body: local });
    expect(r.status, r.body.toString()).toBe(201);
    expect((await call(mirror.url, 'GET', '/v1/packages/team/app', { token: mirror.adminToken })).headers.get('x-uni-source')).toBe('local');
    expectError(await call(mirror.url, 'GET', '/v1/packages/team/nothing'), 404, /package team\/nothing not found/);
    const list = (await call(mirror.url, 'GET', '/v1/packages', { token: mirror.adminToken })).json().results as { name: string; source: string }[];
    expect(list.map((p) => `${p.name} ${p.source}`)).toEqual(['library/glibc mirror', 'library/redis mirror', 'team/app local']);
    expect((await origin.requests()).filter((l) => l.includes('team/'))).toEqual([]);
  });

  it('refuses a publish or a yank in a mirrored namespace and stores nothing', async () => {
    const before = snapshotDataDir(mirror.dataDir);
    const bytes = await buildPackage({ name: 'redis', version: '9.9.9' });
    const put = await call(mirror.url, 'PUT', '/v1/packages/library/redis/9.9.9/x86_64', { token: mirror.adminToken, body: bytes });
    expectError(put, 403, new RegExp(`namespace "library" is mirrored from ${origin.url.replace(/[.]/g, '\\.')}`), 'mirrored_namespace');
    const acme = await call(mirror.url, 'PUT', '/v1/packages/acme/shadow/1.0.0/x86_64', { token: mirror.adminToken, body: await buildPackage({ name: 'shadow', version: '1.0.0' }) });
    expectError(acme, 403, /namespace "acme" is mirrored/, 'mirrored_namespace');
    expectError(await call(mirror.url, 'POST', '/v1/packages/library/redis/7.2.4/yank', { token: mirror.adminToken }), 403, /publish and yank there/, 'mirrored_namespace');
    expect(snapshotDataDir(mirror.dataDir)).toEqual(before);
  });

  it("keeps the origin's private package invisible to a mirror without a token for it", async () => {
    expectError(await call(mirror.url, 'GET', '/v1/packages/acme/secret', { token: mirror.adminToken }), 404, /package acme\/secret not found/);
    expectError(await call(mirror.url, 'GET', `/v1/blobs/sha256/${digests['acme/secret@1.0.0']!.slice(7)}`), 404, /not found/);
    expect((await call(mirror.url, 'GET', '/v1/packages?q=secret', { token: mirror.adminToken })).json().results).toEqual([]);
    expect(query(mirror.dataDir, "SELECT name FROM packages WHERE name = 'acme/secret'")).toEqual([]);
  });

  it('answers a first ranged request whole, and keeps a blob whose client went away', async () => {
    const ranged = digests['library/ranged@1.0.0']!;
    expect((await call(mirror.url, 'GET', '/v1/packages/library/ranged')).status).toBe(200);
    const whole = await call(mirror.url, 'GET', `/v1/blobs/sha256/${ranged.slice(7)}`, { headers: { range: 'bytes=10-20' } });
    expect(whole.status).toBe(200);
    expect(`sha256:${sha256(whole.body)}`).toBe(ranged);
    const part = await call(mirror.url, 'GET', `/v1/blobs/sha256/${ranged.slice(7)}`, { headers: { range: 'bytes=10-20' } });
    expect(part.status).toBe(206);
    expect(part.body).toEqual(whole.body.subarray(10, 21));

    const abandoned = digests['library/abandoned@1.0.0']!;
    expect((await call(mirror.url, 'GET', '/v1/packages/library/abandoned')).status).toBe(200);
    const controller = new AbortController();
    const res = await fetch(`${mirror.url}/v1/blobs/sha256/${abandoned.slice(7)}`, { signal: controller.signal });
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    controller.abort();
    expect(existsSync(blobPath(mirror.dataDir, abandoned))).toBe(false);
    await waitFor('the abandoned blob to be stored', () => existsSync(blobPath(mirror.dataDir, abandoned)));
    expect(`sha256:${sha256(readFileSync(blobPath(mirror.dataDir, abandoned)))}`).toBe(abandoned);
  });

  it('refuses a blob whose bytes on the origin no longer match its digest, and keeps nothing of it', async () => {
    const digest = digests['library/tampered@1.0.0']!;
    const file = blobPath(origin.dataDir, digest);
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(file, bytes);
    expect((await call(mirror.url, 'GET', '/v1/packages/library/tampered')).status).toBe(200);
    const res = await fetch(`${mirror.url}/v1/blobs/sha256/${digest.slice(7)}`);
    expect(res.status).toBe(200);
    await expect(res.arrayBuffer()).rejects.toThrow();
    const run = await uni(['pkg', 'get', 'tampered'], { home: home(), registry: mirror.url });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/tampered|sha256|digest/i);
    expect(existsSync(blobPath(mirror.dataDir, digest))).toBe(false);
    expect(stagedFiles(mirror.dataDir)).toEqual([]);
    expect(mirror.process.output()).toMatch(new RegExp(`blob ${digest} from .* not kept: the upstream's bytes for ${digest} hash to sha256:${sha256(bytes)}`));
  });
});
