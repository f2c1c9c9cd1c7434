/**
 * `uni mirror sync` as a subprocess against a real origin on loopback: a full copy with
 * yanks, a later yank and unyank, a filter, a sync killed with SIGKILL in the middle that resumes to exactly the
 * origin's versions and digests, a second sync that copies nothing, and refused options.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipTar, programForOtherArch } from '../helpers/archive.js';
import { call } from '../helpers/http.js';
import { requireBuild, startThrottle, waitFor } from '../e2e/harness.js';
import { blobPath, query, removeDir, runUni, sha256, startServer, type Server } from './servers.js';

const UNI = join(import.meta.dirname, '..', '..', 'bin', 'uni.js');
let origin: Server;
const dirs: string[] = [];

/** A small archive with no program: random bytes, so that every version has its own digest. */
async function smallPackage(name: string, version: string, bytes = 8 * 1024, program?: Buffer): Promise<Buffer> {
  const top = `${name}_${version}`;
  const manifest: Record<string, unknown> = { Name: name, Version: version, Description: `${name} for the sync tests` };
  if (program) manifest['Program'] = '/usr/bin/app';
  return gzipTar([
    { name: `${top}/`, type: 'directory' },
    { name: `${top}/package.manifest`, content: JSON.stringify(manifest) },
    { name: `${top}/sysroot/`, type: 'directory' },
    { name: `${top}/sysroot/data.bin`, content: Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))) },
    ...(program ? [{ name: `${top}/sysroot/usr/bin/app`, content: program, mode: 0o755 }] : []),
  ]);
}

async function put(name: string, version: string, arch: string, body: Buffer, q = ''): Promise<void> {
  const r = await call(origin.url, 'PUT', `/v1/packages/${name}/${version}/${arch}${q}`, { token: origin.adminToken, body });
  expect(r.status, r.body.toString()).toBe(201);
}

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'uni-sync-'));
  dirs.push(d);
  return d;
}

type Row = { package: string; version: string; arch: string; digest: string; yanked: number; yank_reason: string | null };
const ARTIFACTS = `SELECT a.package, a.version, a.arch, a.digest, v.yanked, v.yank_reason FROM artifacts a
  JOIN versions v ON v.package = a.package AND v.version = a.version ORDER BY a.package, a.version, a.arch`;

/** Every artifact the origin shows anonymously in `namespaces`, with its yank state. */
function originRows(namespaces: string[]): Row[] {
  return query<Row & { private: number }>(origin.dataDir, ARTIFACTS.replace('ORDER BY', 'JOIN packages p ON p.name = a.package WHERE p.private = 0 ORDER BY'))
    .filter((r) => namespaces.includes(r.package.split('/')[0]!))
    .map(({ package: p, version, arch, digest, yanked, yank_reason }) => ({ package: p, version, arch, digest, yanked, yank_reason }));
}

/** Every artifact row of a copy has its blob, whole: a sync never stores one without the other. */
function expectBlobsBehindRows(dir: string): void {
  for (const r of query<Row>(dir, ARTIFACTS)) {
    const file = blobPath(dir, r.digest);
    expect(existsSync(file), `${r.package}@${r.version} ${r.arch}`).toBe(true);
    expect(`sha256:${sha256(readFileSync(file))}`).toBe(r.digest);
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const sync = (args: string[]) => runUni(['mirror', 'sync', '--from', origin.url, ...args]);

beforeAll(async () => {
  requireBuild();
  origin = await startServer();
  for (let i = 0; i < 24; i++) {
    await put(`library/pkg${String(i).padStart(2, '0')}`, '1.0.0', 'x86_64', await smallPackage(`pkg${String(i).padStart(2, '0')}`, '1.0.0'));
  }
  await put('library/pkg00', '1.1.0', 'x86_64', await smallPackage('pkg00', '1.1.0'));
  await put('library/pkg00', '1.1.0', 'aarch64', await smallPackage('pkg00', '1.1.0', 8192, programForOtherArch()));
  await put('acme/tool', '2.0.0', 'x86_64', await smallPackage('tool', '2.0.0'));
  await put('acme/hidden', '1.0.0', 'x86_64', await smallPackage('hidden', '1.0.0'), '?private=true');
  // A yank that stays, and a yank undone: both must reach the copy.
  expect((await call(origin.url, 'POST', '/v1/packages/library/pkg01/1.0.0/yank', { token: origin.adminToken, body: { reason: 'broken' } })).status).toBe(200);
  expect((await call(origin.url, 'POST', '/v1/packages/library/pkg02/1.0.0/yank', { token: origin.adminToken })).status).toBe(200);
  expect((await call(origin.url, 'DELETE', '/v1/packages/library/pkg02/1.0.0/yank', { token: origin.adminToken })).status).toBe(200);
});

afterAll(async () => {
  await origin?.stop();
  if (origin) removeDir(origin.dataDir);
  for (const d of dirs) removeDir(d);
});

describe('uni mirror sync', { timeout: 180_000 }, () => {
  it('copies every version, architecture and yank of the public namespaces; a second run copies nothing', async () => {
    // A data folder that does not exist yet is made, as `uni serve --data` does.
    const to = join(dataDir(), 'new', 'registry');
    const run = await sync(['--to', to, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ packages: 25, blobs: 27 });
    expect(query(to, ARTIFACTS)).toEqual(originRows(['library', 'acme']));
    expect(query(to, "SELECT yanked, yank_reason FROM versions WHERE package = 'library/pkg01'")).toEqual([{ yanked: 1, yank_reason: 'broken' }]);
    expect(query(to, "SELECT name FROM packages WHERE name = 'acme/hidden'")).toEqual([]);
    expectBlobsBehindRows(to);

    const blobGets = (await origin.requests()).filter((l) => l.startsWith('GET /v1/blobs/')).length;
    const again = await sync(['--to', to, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ packages: 0, blobs: 0, bytes: 0, position: report.position });
    expect((await origin.requests()).filter((l) => l.startsWith('GET /v1/blobs/')).length).toBe(blobGets);

    // A later yank on the origin travels with the next sync, and nothing else does.
    expect((await call(origin.url, 'POST', '/v1/packages/library/pkg03/1.0.0/yank', { token: origin.adminToken })).status).toBe(200);
    const third = await sync(['--to', to, '--json']);
    expect(JSON.parse(third.stdout)).toMatchObject({ packages: 1, blobs: 0 });
    expect(query(to, ARTIFACTS)).toEqual(originRows(['library', 'acme']));
  });

  it('carries a later yank and then its undoing to the copy, each sync moving the feed position on', async () => {
    const to = dataDir();
    const yankState = () => query(to, "SELECT yanked, yank_reason FROM versions WHERE package = 'library/pkg04'");
    const report = async (): Promise<{ packages: number; blobs: number; position: number }> => {
      const run = await sync(['--to', to, '--json']);
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout);
    };
    const first = await report();
    expect(yankState()).toEqual([{ yanked: 0, yank_reason: null }]);

    expect((await call(origin.url, 'POST', '/v1/packages/library/pkg04/1.0.0/yank', { token: origin.adminToken, body: { reason: 'regression' } })).status).toBe(200);
    const second = await report();
    expect(second).toMatchObject({ packages: 1, blobs: 0 });
    expect(second.position).toBeGreaterThan(first.position);
    expect(yankState()).toEqual([{ yanked: 1, yank_reason: 'regression' }]);

    expect((await call(origin.url, 'DELETE', '/v1/packages/library/pkg04/1.0.0/yank', { token: origin.adminToken })).status).toBe(200);
    const third = await report();
    expect(third).toMatchObject({ packages: 1, blobs: 0 });
    expect(third.position).toBeGreaterThan(second.position);
    expect(yankState()).toEqual([{ yanked: 0, yank_reason: null }]);
    expect(query(to, 'SELECT position FROM sync_state')).toEqual([{ position: third.position }]);
    // The copy's own feed records both, so that it can itself be followed.
    expect(query(to, "SELECT type FROM changes WHERE package = 'library/pkg04' ORDER BY seq")).toEqual([{ type: 'publish' }, { type: 'yank' }, { type: 'unyank' }]);
    expect(query(to, ARTIFACTS)).toEqual(originRows(['library', 'acme']));
  });

  it('copies only the chosen namespaces and architectures, and reaches private packages with a token', async () => {
    const to = dataDir();
    const made = await call(origin.url, 'POST', '/v1/tokens', { token: origin.adminToken, body: { scopes: ['read'], namespace: 'acme' } });
    const run = await sync(['--to', to, '--namespace', 'acme', '--arch', 'amd64', '--token', made.json().token]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^synced 2 packages, 2 blobs \(0\.0 MB\) from http:\/\/127\.0\.0\.1:\d+ in [\d.]+ s; feed position \d+\n$/);
    expect(query(to, 'SELECT package, arch FROM artifacts ORDER BY package')).toEqual([
      { package: 'acme/hidden', arch: 'x86_64' },
      { package: 'acme/tool', arch: 'x86_64' },
    ]);
    expect(query(to, "SELECT private FROM packages WHERE name = 'acme/hidden'")).toEqual([{ private: 1 }]);
  });

  it('resumes after a SIGKILL in the middle and ends with exactly the origin', async () => {
    const to = dataDir();
    // A slow link, so that the kill lands while the sync is copying.
    const throttle = await startThrottle(origin.port, 64 * 1024);
    try {
      const child = spawn(process.execPath, [UNI, 'mirror', 'sync', '--from', throttle.url, '--to', to, '--concurrency', '2'], { stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      const position = (): number => {
        if (!existsSync(join(to, 'registry.sqlite'))) return 0;
        try {
          return query<{ position: number }>(to, 'SELECT position FROM sync_state')[0]?.position ?? 0;
        } catch {
          return 0;
        }
      };
      await waitFor('the sync to record progress', () => position() > 0, 30_000);
      child.kill('SIGKILL');
      await exited;
      const copied = query<Row>(to, ARTIFACTS);
      expect(copied.length).toBeGreaterThan(0);
      expect(copied.length).toBeLessThan(originRows(['library', 'acme']).length);
      expectBlobsBehindRows(to);
    } finally {
      await throttle.close();
    }
    const firstHalf = query<{ digest: string }>(to, 'SELECT digest FROM artifacts').map((r) => r.digest);
    const blobGets = (await origin.requests()).filter((l) => l.startsWith('GET /v1/blobs/')).length;
    const resumed = await sync(['--to', to, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(query(to, ARTIFACTS)).toEqual(originRows(['library', 'acme']));
    expectBlobsBehindRows(to);
    // What the killed run stored was not fetched again.
    const refetched = (await origin.requests()).filter((l) => l.startsWith('GET /v1/blobs/')).length - blobGets;
    expect(refetched).toBeLessThanOrEqual(27 - firstHalf.length);
    const again = await sync(['--to', to, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ packages: 0, blobs: 0 });
  });

  it('publishes into another registry through its API, byte for byte, and resumes from its state file', async () => {
    const target = await startServer();
    try {
      const state = join(dataDir(), 'state.json');
      const args = ['--registry', target.url, '--registry-token', target.adminToken, '--state', state, '--json'];
      const run = await sync(args);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ packages: 25, blobs: 27 });
      // Published there, so the target's own timestamps; everything else is the origin's.
      expect(query(target.dataDir, ARTIFACTS)).toEqual(originRows(['library', 'acme']));
      expect(Object.values(JSON.parse(readFileSync(state, 'utf8')))).toEqual([JSON.parse(run.stdout).position]);
      const again = await sync(args);
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ packages: 0, blobs: 0 });
    } finally {
      await target.stop();
      removeDir(target.dataDir);
    }
    // A target that mirrors the namespace (from a registry without it) refuses the publish, and the sync says why.
    const empty = await startServer();
    const mirror = await startServer(['--upstream', empty.url, '--mirror', 'acme']);
    try {
      const run = await sync(['--namespace', 'acme', '--registry', mirror.url, '--registry-token', mirror.adminToken, '--state', join(dataDir(), 's.json')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/target registry http:\/\/127\.0\.0\.1:\d+ refused the publish of acme\/tool@2\.0\.0 \(x86_64\): 403 namespace "acme" is mirrored/);
    } finally {
      for (const server of [mirror, empty]) {
        await server.stop();
        removeDir(server.dataDir);
      }
    }
  });

  it("leaves the target's own packages and namespaces alone, saying so, without --namespace", async () => {
    const to = dataDir();
    const local = await startServer([], to);
    try {
      const r = await call(local.url, 'PUT', '/v1/packages/acme/tool/1.0.0/x86_64?private=true', { token: local.adminToken, body: await smallPackage('tool', '1.0.0') });
      expect(r.status, r.body.toString()).toBe(201);
      await call(local.url, 'PUT', '/v1/packages/acme/mine/1.0.0/x86_64', { token: local.adminToken, body: await smallPackage('mine', '1.0.0') });
    } finally {
      await local.stop();
    }
    const run = await sync(['--to', to, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^uni mirror sync: skipped acme\/tool: this registry published it or owns its namespace/m);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ packages: 24, skipped: [expect.stringMatching(/^skipped acme\/tool: /)] });
    expect(query(to, "SELECT version FROM versions WHERE package = 'acme/tool'")).toEqual([{ version: '1.0.0' }]);
    expect(query(to, "SELECT private FROM packages WHERE name = 'acme/tool'")).toEqual([{ private: 1 }]);
    expect(query(to, "SELECT package FROM mirror_packages WHERE package LIKE 'acme/%'")).toEqual([]);
    expect(query(to, "SELECT count(*) AS n FROM packages WHERE namespace = 'library'")).toEqual([{ n: 24 }]);
  });

  it('keeps a namespace the sync filled without an owner for admins: no publish token takes it', async () => {
    const to = dataDir();
    const run = await sync(['--to', to, '--namespace', 'acme']);
    expect(run.code, run.stderr).toBe(0);
    const served = await startServer([], to);
    try {
      const made = await call(served.url, 'POST', '/v1/tokens', { token: served.adminToken, body: { scopes: ['publish'], owner: 'mallory' } });
      const mallory = made.json().token as string;
      for (const [name, version] of [['evil', '1.0.0'], ['tool', '2.0.1']] as const) {
        const r = await call(served.url, 'PUT', `/v1/packages/acme/${name}/${version}/x86_64`, { token: mallory, body: await smallPackage(name, version) });
        expect(r.status, r.body.toString()).toBe(403);
        expect(r.json().error.message).toMatch(/namespace "acme" holds packages but has no owner: only admins publish there/);
      }
      const yank = await call(served.url, 'POST', '/v1/packages/acme/tool/2.0.0/yank', { token: mallory });
      expect(yank.status, yank.body.toString()).toBe(403);
      const admin = await call(served.url, 'PUT', '/v1/packages/acme/tool/2.0.1/x86_64', { token: served.adminToken, body: await smallPackage('tool', '2.0.1') });
      expect(admin.status, admin.body.toString()).toBe(201);
      expect(query(to, "SELECT * FROM namespaces WHERE name = 'acme'")).toEqual([]);
    } finally {
      await served.stop();
    }
  });

  it('refuses bad options naming them, and an unreachable origin, storing no position', async () => {
    const to = dataDir();
    const cases: Array<[string[], RegExp]> = [
      [['--to', to, '--arch', 'sparc'], /unknown architecture "sparc"/],
      [['--to', to, '--concurrency', '0'], /--concurrency must be a whole number from 1 to 64/],
      [['--to', to, '--namespace', 'Bad'], /invalid package namespace "Bad"/],
      [[], /say where to copy to: either --to DATA_DIR or --registry URL/],
      [['--to', to, '--registry', 'http://127.0.0.1:1'], /either --to DATA_DIR or --registry URL/],
      [['--registry', 'http://127.0.0.1:1'], /--registry needs --registry-token/],
    ];
    for (const [args, message] of cases) {
      const run = await sync(args);
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr).toMatch(message);
    }
    const closed = await closedPort();
    const down = await runUni(['mirror', 'sync', '--from', `http://127.0.0.1:${closed}`, '--to', to]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`uni: cannot reach upstream http://127.0.0.1:${closed}: ECONNREFUSED\n`);
    expect(query(to, 'SELECT * FROM sync_state')).toEqual([]);
    const bad = await runUni(['mirror', 'sync', '--from', 'ftp://x', '--to', to]);
    expect(bad.stderr).toMatch(/--from must be an http\(s\) URL/);
  });
});
