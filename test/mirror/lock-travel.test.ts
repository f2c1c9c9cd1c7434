/**
 * Lockfiles that travel between a registry and its mirror, and a client that knows about
 * mirrors: `uni` as a subprocess against an origin and a mirror of its `library` namespace,
 * both real `uni serve` processes on loopback.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { call } from '../helpers/http.js';
import { removeHome, requireBuild, tempHome } from '../e2e/harness.js';
import { removeDir, runUni, startServer, type Server } from './servers.js';

let origin: Server;
let mirror: Server;
const homes: string[] = [];
const dirs: string[] = [];
const ARCH = 'x86_64';

async function put(name: string, version: string, deps: Record<string, string> = {}): Promise<void> {
  const bytes = await buildPackage({ name: name.split('/')[1]!, version, manifest: { Dependencies: deps } });
  const r = await call(origin.url, 'PUT', `/v1/packages/${name}/${version}/${ARCH}`, { token: origin.adminToken, body: bytes });
  expect(r.status, r.body.toString()).toBe(201);
}

/** A project folder with config.json; `uni` runs with its own home and no CI unless given. */
function project(dependencies: Record<string, string>): { dir: string; config: string; lock: string; run(args: string[], env?: NodeJS.ProcessEnv): ReturnType<typeof runUni> } {
  const dir = mkdtempSync(join(tmpdir(), 'uni-travel-'));
  dirs.push(dir);
  const home = tempHome();
  homes.push(home);
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ Program: '/usr/bin/true', Dependencies: dependencies }));
  return {
    dir,
    config,
    lock: join(dir, 'uni.lock'),
    // Project commands get -c and --arch; `uni pkg ...` takes neither.
    run: (args, env = {}) =>
      runUni([...args, ...(args[0] === 'pkg' ? [] : ['-c', config, '--arch', ARCH])], { UNI_HOME: home, HOME: home, CI: '', UNI_REGISTRY: mirror.url, ...env }),
  };
}

beforeAll(async () => {
  requireBuild();
  origin = await startServer();
  await put('library/glibc', '2.36.0');
  await put('library/redis', '7.0.15', { glibc: '^2.36' });
  mirror = await startServer(['--upstream', origin.url, '--max-age', '0s', '--upstream-backoff', '30s', '--upstream-timeout', '2s']);
});

afterAll(async () => {
  await mirror?.stop();
  await origin?.stop();
  for (const s of [mirror, origin]) if (s) removeDir(s.dataDir);
  for (const d of dirs) removeDir(d);
  for (const h of homes) removeHome(h);
});

describe('locks that travel', { timeout: 180_000 }, () => {
  it('a lock made against the registry stays as it is through the mirror; --update moves only what it names; outdated shows what is behind', async () => {
    const p = project({ redis: '^7', glibc: '^2' });
    const made = await p.run(['lock', '--registry', origin.url]);
    expect(made.code, made.stderr).toBe(0);
    const before = readFileSync(p.lock, 'utf8');
    expect(JSON.parse(before)).toMatchObject({ registry: origin.url, packages: { 'library/redis': { version: '7.0.15' }, 'library/glibc': { version: '2.36.0' } } });

    await put('library/redis', '7.0.16', { glibc: '^2.36' });
    await put('library/glibc', '2.37.0');
    const viaMirror = await p.run(['lock', '--registry', mirror.url]);
    expect(viaMirror.code, viaMirror.stderr).toBe(0);
    expect(viaMirror.stderr).toContain(`uni.lock was made against ${origin.url}; using it with ${mirror.url}, which serves the same digests`);
    expect(viaMirror.stderr).toContain('uni.lock is up to date');
    expect(readFileSync(p.lock, 'utf8')).toBe(before);
    const manifest = await p.run(['manifest', '--registry', mirror.url, '--format', 'json']);
    expect(manifest.code, manifest.stderr).toBe(0);
    expect(readFileSync(p.lock, 'utf8')).toBe(before);

    const outdated = await p.run(['outdated', '--json']);
    expect(outdated.code, outdated.stderr).toBe(1);
    expect(JSON.parse(outdated.stdout)).toEqual({
      'library/glibc': { locked: '2.36.0', wanted: '2.37.0', latest: '2.37.0' },
      'library/redis': { locked: '7.0.15', wanted: '7.0.16', latest: '7.0.16' },
    });
    const text = await p.run(['outdated']);
    expect(text.stdout.split('\n')[0]).toMatch(/^Package\s+Locked\s+Wanted\s+Latest$/);

    const one = await p.run(['lock', '--update', 'redis', '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout).packages).toEqual({ 'library/redis': '7.0.16', 'library/glibc': '2.36.0' });
    const unknown = await p.run(['lock', '--update', 'nginx']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--update library/nginx: uni.lock has no library/nginx');
    const both = await p.run(['lock', '--update', '--frozen']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--update moves versions and --frozen keeps them');
    const all = await p.run(['lock', '--update']);
    expect(all.code, all.stderr).toBe(0);
    expect(JSON.parse(readFileSync(p.lock, 'utf8')).packages['library/glibc'].version).toBe('2.37.0');
    const current = await p.run(['outdated']);
    expect(current.code, current.stderr).toBe(0);
    expect(current.stdout).toBe('');
  });

  it('--frozen, and CI with a lock, fail naming what does not fit instead of resolving again', async () => {
    const p = project({ redis: '7.0.15' });
    expect((await p.run(['lock'])).code).toBe(0);
    const before = readFileSync(p.lock, 'utf8');
    writeFileSync(p.config, JSON.stringify({ Program: '/usr/bin/true', Dependencies: { redis: '^7.0.16' } }));
    for (const [args, env] of [[['--frozen'], {}], [[], { CI: 'true' }]] as const) {
      const r = await p.run(['manifest', '--format', 'json', ...args], env);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('uni.lock has library/redis 7.0.15, but config.json needs ^7.0.16; --frozen (or CI) uses it as it stands');
      expect(readFileSync(p.lock, 'utf8')).toBe(before);
    }
    const frozenLock = await p.run(['lock'], { CI: 'true' });
    expect(frozenLock.code).toBe(1);
    expect(readFileSync(p.lock, 'utf8')).toBe(before);
    const moved = await p.run(['manifest', '--format', 'json', '--no-frozen'], { CI: 'true' });
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(readFileSync(p.lock, 'utf8')).packages['library/redis'].version).toBe('7.0.16');

    // CI without a lock makes one, as npm install would; --frozen without one refuses.
    const fresh = project({ redis: '^7' });
    expect((await fresh.run(['manifest', '--frozen', '--format', 'json'])).stderr).toContain('no uni.lock beside the config, and --frozen (or CI) forbids making one');
    expect(existsSync(fresh.lock)).toBe(false);
    expect((await fresh.run(['manifest', '--format', 'json'], { CI: 'true' })).code).toBe(0);
    expect(existsSync(fresh.lock)).toBe(true);
  });

  it('a failed command leaves uni.lock as it was; a yanked locked version is used with a warning and its reason', async () => {
    const p = project({});
    const failed = await p.run(['manifest', '-p', 'redis@7.0.15', '-o', join(p.config, 'manifest')]);
    expect(failed.code).toBe(1);
    expect(existsSync(p.lock)).toBe(false);

    const ok = await p.run(['manifest', '-p', 'redis@7.0.15', '--format', 'json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(readFileSync(p.lock, 'utf8')).packages['library/redis'].version).toBe('7.0.15');
    expect((await call(origin.url, 'POST', '/v1/packages/library/redis/7.0.15/yank', { token: origin.adminToken, body: { reason: 'CVE-2025-0001: remote crash' } })).status).toBe(200);
    const yanked = await p.run(['manifest', '-p', 'redis@7.0.15', '--format', 'json']);
    expect(yanked.code, yanked.stderr).toBe(0);
    expect(yanked.stderr).toContain('warning: library/redis 7.0.15 in uni.lock is yanked: CVE-2025-0001: remote crash; `uni lock --update library/redis` moves it');
  });
});

describe('a client that knows about mirrors', { timeout: 120_000 }, () => {
  it('names --mirror when a namespace is not mirrored', async () => {
    const r = await project({}).run(['pkg', 'versions', 'acme/tool']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('namespace "acme" is not mirrored here');
    expect(r.stderr).toContain('start the mirror with --mirror acme');
  });

  it('notes a stale answer once with its age, and does not retry a 502 while the mirror backs off', async () => {
    await origin.stop();
    try {
      const p = project({ redis: '^7', glibc: '^2' });
      const stale = await p.run(['lock']);
      expect(stale.code, stale.stderr).toBe(0);
      const notes = stale.stderr.split('\n').filter((l) => l.includes('answered from its cached copy'));
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(new RegExp(`^uni: note: the mirror at ${mirror.url} answered from its cached copy of library/\\w+ \\(\\d+ s old\\), as its upstream could not be asked`));

      const before = (await mirror.requests()).length;
      const started = performance.now();
      const down = await p.run(['pkg', 'versions', 'never-cached']);
      const seconds = (performance.now() - started) / 1000;
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/upstream http:\/\/127\.0\.0\.1:\d+ failed recently .*not asked again before/);
      const asked = (await mirror.requests()).slice(before).filter((l) => l.startsWith('GET /v1/packages/library/never-cached '));
      expect(asked).toEqual([expect.stringMatching(/ 502 /)]);
      expect(seconds).toBeLessThan(30);
    } finally {
      await origin.restart();
    }
  });
});
