/**
 * `uni serve --upstream --follow`: the mirror applies the origin's change feed by itself, so
 * new versions, their blobs, yanks and unyanks arrive without any client asking for them.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { call } from '../helpers/http.js';
import { requireBuild, waitFor } from '../e2e/harness.js';
import { blobPath, query, removeDir, startServer, type Server } from './servers.js';

let origin: Server;
let mirror: Server;

async function put(name: string, version: string): Promise<string> {
  const bytes = await buildPackage({ name: name.split('/')[1]!, version });
  const r = await call(origin.url, 'PUT', `/v1/packages/${name}/${version}/x86_64`, { token: origin.adminToken, body: bytes });
  expect(r.status, r.body.toString()).toBe(201);
  return r.json().digest;
}

beforeAll(async () => {
  requireBuild();
  origin = await startServer();
  await put('library/redis', '7.2.4');
  mirror = await startServer(['--upstream', origin.url, '--follow', '--interval', '200ms', '--max-age', '1h', '--upstream-backoff', '1s']);
});

afterAll(async () => {
  await mirror?.stop();
  await origin?.stop();
  for (const s of [mirror, origin]) if (s) removeDir(s.dataDir);
});

describe('--follow', () => {
  it('copies what the origin publishes, yanks and unyanks, blobs included, with no client asking', async () => {
    const versions = () => query<{ version: string; yanked: number }>(mirror.dataDir, "SELECT version, yanked FROM versions WHERE package = 'library/redis' ORDER BY version");
    await waitFor('the first version', () => versions().length === 1, 15_000);
    const digest = await put('library/redis', '7.2.5');
    await waitFor('the new version', () => versions().length === 2, 15_000);
    expect(existsSync(blobPath(mirror.dataDir, digest))).toBe(true);
    expect((await call(origin.url, 'POST', '/v1/packages/library/redis/7.2.4/yank', { token: origin.adminToken })).status).toBe(200);
    await waitFor('the yank', () => versions()[0]!.yanked === 1, 15_000);
    // Served from the copy: within max-age the mirror does not ask the origin again.
    const before = (await origin.requests()).filter((l) => l.startsWith('GET /v1/packages/library/redis ')).length;
    const doc = (await call(mirror.url, 'GET', '/v1/packages/library/redis')).json();
    expect(Object.keys(doc.versions).sort()).toEqual(['7.2.4', '7.2.5']);
    expect(doc.versions['7.2.4'].yanked).toBe(true);
    expect((await origin.requests()).filter((l) => l.startsWith('GET /v1/packages/library/redis ')).length).toBe(before);
    expect((await origin.requests()).filter((l) => l.startsWith('GET /v1/changes')).length).toBeGreaterThan(2);

    expect((await call(origin.url, 'DELETE', '/v1/packages/library/redis/7.2.4/yank', { token: origin.adminToken })).status).toBe(200);
    await waitFor('the unyank', () => versions()[0]!.yanked === 0, 15_000);
    expect((await call(mirror.url, 'GET', '/v1/packages/library/redis')).json().versions['7.2.4'].yanked).toBe(false);
  });

  it('keeps serving its copy while the origin is down, and catches up when it returns', async () => {
    await origin.stop();
    await waitFor('the follower to notice', () => /mirror: cannot reach upstream/.test(mirror.process.output()), 15_000);
    expect((await call(mirror.url, 'GET', '/v1/packages/library/redis')).status).toBe(200);
    await origin.restart();
    const digest = await put('library/redis', '7.3.0');
    const count = () => query<{ n: number }>(mirror.dataDir, "SELECT count(*) AS n FROM versions WHERE package = 'library/redis'")[0]!.n;
    await waitFor('the version published after the outage', () => count() === 3, 15_000);
    // The blob is committed before the metadata that references it.
    expect(existsSync(blobPath(mirror.dataDir, digest))).toBe(true);
  });
});
