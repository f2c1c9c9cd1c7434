/**
 * When the origin is away: the mirror serves what it cached with X-Uni-Stale, fails a new
 * package cleanly, backs off (one upstream request per back-off window, not one per read),
 * and an --offline mirror never contacts the origin. A revoked upstream token takes effect.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { call, expectError } from '../helpers/http.js';
import { removeHome, requireBuild, tempHome, uni, waitFor } from '../e2e/harness.js';
import { query, removeDir, runUni, startServer, type Server } from './servers.js';

let origin: Server;
let mirror: Server;
const started: Server[] = [];
const homes: string[] = [];
const BACKOFF_MS = 5000;

function home(): string {
  const h = tempHome();
  homes.push(h);
  return h;
}

async function put(name: string, version: string, manifest: Record<string, unknown> = {}, q = ''): Promise<void> {
  const bytes = await buildPackage({ name: name.split('/')[1]!, version, manifest });
  const r = await call(origin.url, 'PUT', `/v1/packages/${name}/${version}/x86_64${q}`, { token: origin.adminToken, body: bytes });
  expect(r.status, r.body.toString()).toBe(201);
}

async function server(args: string[], dataDir?: string): Promise<Server> {
  const s = await startServer(args, dataDir);
  started.push(s);
  return s;
}

const mirrorArgs = (extra: string[] = []): string[] => [
  '--upstream', origin.url, '--max-age', '0s', '--upstream-backoff', `${BACKOFF_MS}ms`, '--upstream-timeout', '2s', ...extra,
];

beforeAll(async () => {
  requireBuild();
  origin = await server([]);
  await put('library/glibc', '2.36.0');
  await put('library/redis', '7.2.4', { Dependencies: { glibc: '^2.36' } });
  await put('acme/secret', '1.0.0', {}, '?private=true');
  mirror = await server(mirrorArgs());
  const warm = await uni(['pkg', 'get', 'redis'], { home: home(), registry: mirror.url });
  expect(warm.code, warm.stderr).toBe(0);
});

afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
  for (const s of started) removeDir(s.dataDir);
  for (const h of homes) removeHome(h);
});

describe('with the origin stopped', { timeout: 120_000 }, () => {
  let cached: unknown;

  it('serves what it cached, marked stale, and `uni pkg get` still works', async () => {
    cached = (await call(mirror.url, 'GET', '/v1/packages/library/redis')).json();
    await origin.stop();
    const r = await call(mirror.url, 'GET', '/v1/packages/library/redis');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-uni-stale')).toBe('1');
    expect(r.headers.get('x-uni-source')).toBe('cache');
    expect(r.headers.get('warning')).toMatch(/^110 /);
    expect(r.json()).toEqual(cached);
    expect(query(mirror.dataDir, 'SELECT upstream, kind, failures FROM upstream_health')).toEqual([{ upstream: origin.url, kind: 'down', failures: 1 }]);
    const run = await uni(['pkg', 'get', 'redis', '--json'], { home: home(), registry: mirror.url });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).map((p: { name: string }) => p.name)).toEqual(['library/glibc', 'library/redis']);
  });

  it('fails a package it never cached with a clear error', async () => {
    const r = await call(mirror.url, 'GET', '/v1/packages/library/nginx');
    expectError(r, 502, new RegExp(`upstream ${origin.url.replace(/\./g, '\\.')}`), 'upstream_unavailable');
    const run = await uni(['pkg', 'get', 'nginx'], { home: home(), registry: mirror.url });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/nginx/);
    expect(run.stderr).toMatch(/upstream/);
    expect(query(mirror.dataDir, "SELECT name FROM packages WHERE name = 'library/nginx'")).toEqual([]);
  });

  it('asks the upstream at most once per back-off window, then recovers', async () => {
    // A fresh failure opens a window whose end the mirror keeps in its database.
    const failuresBefore = query<{ failures: number }>(mirror.dataDir, 'SELECT failures FROM upstream_health')[0]!.failures;
    const waitOut = query<{ retry_at: string }>(mirror.dataDir, 'SELECT retry_at FROM upstream_health')[0]!.retry_at;
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(waitOut) - Date.now() + 50)));
    expect((await call(mirror.url, 'GET', '/v1/packages/library/redis')).headers.get('x-uni-stale')).toBe('1');
    const retryAt = Date.parse(query<{ retry_at: string }>(mirror.dataDir, 'SELECT retry_at FROM upstream_health')[0]!.retry_at);
    expect(query(mirror.dataDir, 'SELECT failures FROM upstream_health')).toEqual([{ failures: failuresBefore + 1 }]);

    await origin.restart();
    for (let i = 0; i < 3; i++) {
      const r = await call(mirror.url, 'GET', '/v1/packages/library/redis');
      expect(r.headers.get('x-uni-stale')).toBe('1');
    }
    expect(Date.now()).toBeLessThan(retryAt);
    expect((await origin.requests())).toEqual([]);

    await new Promise((r) => setTimeout(r, Math.max(0, retryAt - Date.now() + 50)));
    const fresh = await call(mirror.url, 'GET', '/v1/packages/library/redis');
    expect(fresh.headers.get('x-uni-stale')).toBeNull();
    expect(fresh.headers.get('x-uni-source')).toBe('upstream');
    expect(fresh.json()).toEqual(cached);
    expect((await origin.requests())).toEqual([expect.stringMatching(/^GET \/v1\/packages\/library\/redis 304 /)]);
    expect(query(mirror.dataDir, 'SELECT * FROM upstream_health')).toEqual([]);
  });
});

describe('--offline', () => {
  it('serves only what is cached and never contacts the upstream', async () => {
    // A second process on the mirror's data folder: SQLite in WAL mode serves both.
    const offline = await server(mirrorArgs(['--offline']), mirror.dataDir);
    await waitFor('the offline mirror to describe itself', () => offline.process.output().includes('(offline: cache only)'));
    const before = (await origin.requests()).length;
    const r = await call(offline.url, 'GET', '/v1/packages/library/redis');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-uni-source')).toBe('cache');
    const run = await uni(['pkg', 'get', 'redis'], { home: home(), registry: offline.url });
    expect(run.code, run.stderr).toBe(0);
    expectError(await call(offline.url, 'GET', '/v1/packages/library/nginx'), 404, /not in this mirror's cache and the mirror is offline/, 'not_found');
    expect((await origin.requests()).length).toBe(before);
    await offline.stop();
  });
});

describe('upstream token', () => {
  it('reaches private packages while valid, and stops serving them once the upstream revokes it', async () => {
    const made = await call(origin.url, 'POST', '/v1/tokens', { token: origin.adminToken, body: { scopes: ['read'], namespace: 'acme', name: 'mirror' } });
    expect(made.status, made.body.toString()).toBe(201);
    const { token, id } = made.json() as { token: string; id: string };
    const withToken = await server(mirrorArgs(['--mirror', 'acme', '--mirror', 'library', '--upstream-token', token]));
    const secret = await call(withToken.url, 'GET', '/v1/packages/acme/secret', { token: withToken.adminToken });
    expect(secret.status, secret.body.toString()).toBe(200);
    expect(secret.json()).toMatchObject({ name: 'acme/secret', private: true });
    // Private on the mirror too: its anonymous readers do not see it.
    expectError(await call(withToken.url, 'GET', '/v1/packages/acme/secret'), 404, /package acme\/secret not found/);
    // ...and cannot tell it from a package the upstream does not have: same answer, no source header.
    const hidden = await call(withToken.url, 'GET', '/v1/packages/acme/secret');
    const missing = await call(withToken.url, 'GET', '/v1/packages/acme/nothing');
    expect(missing.body.toString()).toBe(hidden.body.toString().replace('acme/secret', 'acme/nothing'));
    for (const r of [hidden, missing]) {
      expect(r.status).toBe(404);
      expect(r.headers.get('x-uni-source')).toBeNull();
    }
    // A local token cannot name a mirrored namespace nobody owns here; an admin's token for it can read it.
    const user = await call(withToken.url, 'POST', '/v1/tokens', { token: withToken.adminToken, body: { scopes: ['read'], owner: 'someone' } });
    expectError(
      await call(withToken.url, 'POST', '/v1/tokens', { token: user.json().token, body: { scopes: ['read'], namespace: 'acme' } }),
      403,
      /field "namespace": namespace "acme" is mirrored and has no owner/,
    );
    const reader = await call(withToken.url, 'POST', '/v1/tokens', { token: withToken.adminToken, body: { scopes: ['read'], namespace: 'acme' } });
    expect((await call(withToken.url, 'GET', '/v1/packages/acme/secret', { token: reader.json().token })).status).toBe(200);

    expect((await call(origin.url, 'DELETE', `/v1/tokens/${id}`, { token: origin.adminToken })).status).toBe(200);
    expectError(await call(withToken.url, 'GET', '/v1/packages/acme/secret', { token: withToken.adminToken }), 404, /package acme\/secret not found/);
    expect(query(withToken.dataDir, 'SELECT kind FROM upstream_health')).toEqual([{ kind: 'denied' }]);
  });
});

describe('bad options', () => {
  it.each([
    [['--mirror', 'acme'], /--mirror needs --upstream <url>/],
    [['--upstream', 'ftp://example.com'], /--upstream must be an http\(s\) URL/],
    [['--upstream', 'http://127.0.0.1:9', '--max-age', '5 minutes'], /--max-age must be a duration such as 500ms, 30s, 5m, 1h30m, 12h, 30d or 2w, not "5 minutes"/],
    [['--upstream', 'http://127.0.0.1:9', '--mirror', 'Bad_NS'], /invalid package namespace "Bad_NS"/],
    [['--upstream', 'http://127.0.0.1:9', '--offline', '--follow'], /--follow and --offline exclude each other/],
  ])('uni serve %j is refused', async (args, message) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'uni-mirror-bad-'));
    const run = await runUni(['serve', '--port', '0', '--data', dataDir, ...(args as string[])]);
    removeDir(dataDir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).not.toMatch(/listening/);
  });
});
