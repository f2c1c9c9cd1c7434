import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPackage, programForOtherArch } from '../helpers/archive.js';
import { e2eSuite, leftovers, publish, removeHome, uni, type Registry } from './harness.js';

let reg: Registry;

const { home } = e2eSuite(async (r) => {
  reg = r;
  await publish(reg.url, 'library/glibc', '2.36.0', 'x86_64', await buildPackage({ name: 'glibc', version: '2.36.0' }));
  for (const v of ['6.2.0', '7.0.0', '7.2.4']) {
    const manifest = { Dependencies: { 'library/glibc': '^2.36' } };
    await publish(reg.url, 'library/redis', v, 'x86_64', await buildPackage({ name: 'redis', version: v, manifest }));
  }
  await publish(reg.url, 'eyberg/node', '20.5.0', 'x86_64', await buildPackage({ name: 'node', version: '20.5.0' }));
  await publish(reg.url, 'library/node', '20.5.0', 'x86_64', await buildPackage({ name: 'node', version: '20.5.0', readme: 'library' }));
  await publish(reg.url, 'library/armonly', '1.0.0', 'aarch64', await buildPackage({ name: 'armonly', version: '1.0.0', programBytes: programForOtherArch() }));
});

interface Got {
  name: string;
  version: string;
  arch: string;
  digest: string;
  path: string;
}

describe('uni pkg get', () => {
  it('fetches a package with its dependencies and prints where each tree is, as JSON on a clean stdout', async () => {
    const h = home();
    const run = await uni(['pkg', 'get', 'redis', '--json'], { home: h, registry: reg.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const got = JSON.parse(run.stdout) as Got[];
    expect(got.map((p) => `${p.name}@${p.version}/${p.arch}`)).toEqual(['library/glibc@2.36.0/x86_64', 'library/redis@7.2.4/x86_64']);
    for (const p of got) {
      expect(p.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(p.path).toBe(join(h, 'trees', 'sha256', p.digest.slice(7), `${p.name.split('/')[1]}_${p.version}`));
      expect(JSON.parse(readFileSync(join(p.path, 'package.manifest'), 'utf8')).Version).toBe(p.version);
      expect(statSync(join(p.path, 'sysroot', 'usr', 'bin', 'true')).mode & 0o222).toBe(0);
    }
    expect(leftovers(h)).toEqual([]);

    const again = await uni(['pkg', 'get', 'redis'], { home: h, registry: reg.url });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^library\/glibc\s+2\.36\.0\s+x86_64\s+\/.*glibc_2\.36\.0\nlibrary\/redis\s+7\.2\.4\s+x86_64\s+\/.*redis_7\.2\.4\n$/);
  });

  it('takes ranges and the ops spellings', async () => {
    const h = home();
    const cases: Array<[string, string, string]> = [
      ['redis@^7.0 <7.1', 'library/redis', '7.0.0'],
      ['redis@6', 'library/redis', '6.2.0'],
      ['eyberg/node@20', 'eyberg/node', '20.5.0'],
      ['eyberg/node:20.5.0', 'eyberg/node', '20.5.0'],
      ['node_20.5.0', 'library/node', '20.5.0'],
    ];
    for (const [spec, name, version] of cases) {
      const run = await uni(['pkg', 'get', spec, '--json'], { home: h, registry: reg.url });
      expect(run.stderr, spec).toBe('');
      const got = JSON.parse(run.stdout) as Got[];
      expect(got.find((p) => p.name === name)?.version, spec).toBe(version);
    }
    const both = await uni(['pkg', 'get', 'eyberg/node:20.5.0', 'node_20.5.0', '--json'], { home: h, registry: reg.url });
    const got = JSON.parse(both.stdout) as Got[];
    expect(got.map((p) => p.name)).toEqual(['eyberg/node', 'library/node']);
    expect(got[0]!.digest).not.toBe(got[1]!.digest);
  });

  it('selects the architecture, and says which exist when the wanted one has no artifact', async () => {
    const h = home();
    const arm = await uni(['pkg', 'get', 'armonly', '--arch', 'arm64', '--json'], { home: h, registry: reg.url });
    expect(arm.stderr).toBe('');
    expect((JSON.parse(arm.stdout) as Got[])[0]!.arch).toBe('aarch64');
    const x86 = await uni(['pkg', 'get', 'armonly', '--arch', 'x86_64'], { home: h, registry: reg.url });
    expect(x86.code).toBe(1);
    expect(x86.stdout).toBe('');
    expect(x86.stderr).toBe('uni: library/armonly has no version built for x86_64; there are versions for aarch64 (choose one with --arch)\n');
    const bad = await uni(['pkg', 'get', 'redis', '--arch', 'sparc'], { home: h, registry: reg.url });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('uni: unknown architecture "sparc": use x86_64 (amd64) or aarch64 (arm64)\n');
  });

  it('exits 2 (usage), naming the value, when an argument or option does not parse', async () => {
    const env = { home: home(), registry: reg.url };
    const before = reg.requests.length;
    const cases: Array<[string[], string]> = [
      [['pkg', 'get', 'Bad Name!!'], 'invalid package name "Bad Name!!"'],
      [['pkg', 'versions', 'Bad!!'], 'invalid package name "Bad!!"'],
      [['pkg', 'info', 'tool@not-a-range'], 'invalid version range "not-a-range"'],
      [['pkg', 'search', 'x', '--arch', 'sparc'], 'unknown architecture "sparc"'],
      [['pkg', 'contents', 'redis', '--arch', 'sparc'], 'unknown architecture "sparc"'],
    ];
    for (const [args, message] of cases) {
      const run = await uni(args, env);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout, args.join(' ')).toBe('');
      expect(run.stderr, args.join(' ')).toMatch(/^uni: [^\n]+\n$/);
      expect(run.stderr, args.join(' ')).toContain(message);
    }
    expect(reg.requests.slice(before)).toEqual([]);
  });

  it('explains a range nothing satisfies and a package that does not exist, without a stack', async () => {
    const h = home();
    const none = await uni(['pkg', 'get', 'redis@^9'], { home: h, registry: reg.url });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/redis/);
    expect(none.stderr).not.toMatch(/\n\s+at /);
    const missing = await uni(['pkg', 'get', 'nosuchpkg'], { home: h, registry: reg.url });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('uni: package library/nosuchpkg not found\n');
    const usage = await uni(['pkg', 'get'], { home: h, registry: reg.url });
    expect(usage.code).toBe(2);
  });

  it('--offline answers a hit from the cache and fails a miss clearly', async () => {
    const h = home();
    expect((await uni(['pkg', 'get', 'redis'], { home: h, registry: reg.url })).code).toBe(0);
    const offline = { home: h, registry: reg.url };
    const before = reg.requests.length;
    const hit = await uni(['pkg', 'get', 'redis', '--offline', '--json'], offline);
    expect(hit.stderr).toBe('');
    expect((JSON.parse(hit.stdout) as Got[]).map((p) => p.version)).toEqual(['2.36.0', '7.2.4']);
    const miss = await uni(['pkg', 'get', 'eyberg/node', '--offline'], offline);
    expect(miss.code).toBe(1);
    expect(miss.stderr).toBe('uni: eyberg/node is not in the cache, and --offline forbids asking the registry\n');
    expect(reg.requests.slice(before)).toEqual([]);
  });

  it('fetches again a cached archive found corrupt; cache verify removes a damaged tree, which get restores', async () => {
    const h = home();
    const env = { home: h, registry: reg.url };
    const first = JSON.parse((await uni(['pkg', 'get', 'redis', '--json'], env)).stdout) as Got[];
    const redis = first.find((p) => p.name === 'library/redis')!;
    const archive = join(h, 'archives', 'sha256', `${redis.digest.slice(7)}.tar.gz`);
    const good = readFileSync(archive);
    chmodSync(archive, 0o644);
    const bad = Buffer.from(good);
    bad[Math.floor(bad.length / 2)] ^= 0xff;
    writeFileSync(archive, bad);
    // Without its tree, get must use the archive, find it damaged by its hash, and fetch it again.
    removeTreeOf(h, redis.digest);
    let before = reg.requests.length;
    const again = await uni(['pkg', 'get', 'redis', '--json'], env);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(reg.requests.slice(before).filter((l) => l.startsWith(`GET /v1/blobs/sha256/${redis.digest.slice(7)} 200`))).toHaveLength(1);
    expect(readFileSync(archive).equals(good)).toBe(true);

    const manifest = join(redis.path, 'package.manifest');
    chmodSync(manifest, 0o644);
    writeFileSync(manifest, '{}');
    const verify = await uni(['cache', 'verify', '--json'], env);
    expect(JSON.parse(verify.stdout).removed).toEqual([
      { kind: 'tree', digest: redis.digest, problem: expect.stringMatching(/^package\.manifest has 2 bytes, expected \d+$/) },
    ]);
    before = reg.requests.length;
    const restored = await uni(['pkg', 'get', 'redis', '--json'], env);
    expect(restored.code).toBe(0);
    expect(JSON.parse(readFileSync(manifest, 'utf8')).Version).toBe('7.2.4');
    // Re-extracted from the good cached archive: no download.
    expect(reg.requests.slice(before).filter((l) => l.startsWith('GET /v1/blobs/'))).toEqual([]);
  });
});

function removeTreeOf(h: string, digest: string): void {
  removeHome(join(h, 'trees', 'sha256', digest.slice(7)));
}
