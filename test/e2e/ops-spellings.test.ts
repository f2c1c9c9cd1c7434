/** What an ops user types and writes, read as ops reads it: `:latest`, any key case, `1.0`, extra keys. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPackage } from '../helpers/archive.js';
import { ADMIN_TOKEN, e2eSuite, publish, uni, type Registry } from './harness.js';

let reg: Registry;
const W = mkdtempSync(join(tmpdir(), 'uni-ops-spell-'));
afterAll(() => rmSync(W, { recursive: true, force: true }));

const { home } = e2eSuite(async (r) => {
  reg = r;
});

/** The manifest ops would write by hand: lower-case keys, a two-part version, a key uni does not know. */
const OPS_MANIFEST = { Name: undefined, Program: undefined, Args: undefined, Version: undefined, Description: undefined, program: '/usr/bin/true', args: ['true', '-x'], version: '1.0', Kernel: 'kernel.img' };

describe('ops spellings', () => {
  it('publishes a manifest with lower-case keys, Version 1.0 and an unknown key, saying what it did', async () => {
    const archive = join(W, 'opsy_1.0.tar.gz');
    writeFileSync(archive, await buildPackage({ name: 'opsy', version: '1.0', manifest: OPS_MANIFEST }));
    const env = { home: home(), registry: reg.url, token: ADMIN_TOKEN };
    const pub = await uni(['pkg', 'publish', archive], env);
    expect(pub.code, JSON.stringify(pub)).toBe(0);
    expect(pub.stdout).toMatch(/^published library\/opsy@1\.0\.0 \(x86_64|aarch64\)/);
    expect(pub.stderr).toContain('uni: package.manifest: Version "1.0" is published as 1.0.0, its semantic-version form; "1.0" is kept as OriginalVersion\n');
    expect(pub.stderr).toContain('uni: package.manifest: "Kernel" is not a key uni knows; kept in the package as written, but an image takes only Program, Args,');

    // The image gets the package's lower-case program and args.
    const project = join(W, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'config.json'), JSON.stringify({ Dependencies: { opsy: '1' }, PackageBaseURL: 'https://repo.ops.city/v2/packages' }));
    const m = await uni(['manifest', '-c', join(project, 'config.json'), '--format', 'json'], env);
    expect(m.code, m.stderr).toBe(0);
    const doc = JSON.parse(m.stdout) as { program: string; arguments: string[] };
    expect(doc.program).toBe('/usr/bin/true');
    expect(doc.arguments).toEqual(['true', '-x']);
    expect(m.stderr).toContain("PackageBaseURL is not used: packages come from the uni registry (UNI_REGISTRY, --registry or `uni login --registry`), not from ops's package server");
  });

  it(':latest is the newest version that is not yanked', async () => {
    const env = { home: home(), registry: reg.url, token: ADMIN_TOKEN };
    for (const v of ['3.1.0', '3.2.0']) await publish(reg.url, 'acme/tool', v, 'x86_64', await buildPackage({ name: 'tool', version: v }));
    expect((await uni(['pkg', 'yank', 'acme/tool@3.2.0'], env)).code).toBe(0);
    const info = await uni(['pkg', 'info', 'acme/tool:latest', '--json'], env);
    expect(info.code, info.stderr).toBe(0);
    expect((JSON.parse(info.stdout) as { version: string }).version).toBe('3.1.0');
    const bad = await uni(['pkg', 'info', 'acme/tool:newest'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid version range "newest"/);
  });

  it('refuses the same key in two spellings, naming both', async () => {
    const archive = join(W, 'twice_1.0.0.tar.gz');
    writeFileSync(archive, await buildPackage({ name: 'twice', version: '1.0.0', manifest: { program: '/usr/bin/false' } }));
    const r = await uni(['pkg', 'publish', archive], { home: home(), registry: reg.url, token: ADMIN_TOKEN });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('uni: package.manifest: "program" and "Program" are the same key in two spellings; keep one\n');
  });
});

describe('uni pkg get --ops', () => {
  it('lays each package where ops pkg load --local finds it, namespaced ones one level down, and replaces an earlier copy', async () => {
    await publish(reg.url, 'library/feeder', '2.0.0', 'x86_64', await buildPackage({ name: 'feeder', version: '2.0.0' }));
    await publish(reg.url, 'acme/dep', '1.0.0', 'x86_64', await buildPackage({ name: 'dep', version: '1.0.0' }));
    const h = home();
    const env = { home: h, registry: reg.url };
    // ops's PackagePath: $OPS_HOME/.ops/local_packages/<amd64|arm64>/<what ops pkg load --local was given>; OPS_HOME defaults to HOME.
    const local = join(h, '.ops', 'local_packages', 'amd64');
    const r = await uni(['pkg', 'get', 'feeder', 'acme/dep', '--arch', 'x86_64', '--ops'], env);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/));
    expect(rows).toContainEqual(['library/feeder', '2.0.0', 'x86_64', join(local, 'feeder_2.0.0'), 'ops pkg load --local feeder_2.0.0']);
    expect(rows).toContainEqual(['acme/dep', '1.0.0', 'x86_64', join(local, 'acme', 'dep_1.0.0'), 'ops pkg load --local acme/dep_1.0.0']);
    for (const dir of [join(local, 'feeder_2.0.0'), join(local, 'acme', 'dep_1.0.0')]) {
      expect((JSON.parse(readFileSync(join(dir, 'package.manifest'), 'utf8')) as { Program: string }).Program).toBe('/usr/bin/true');
      expect(statSync(join(dir, 'sysroot/usr/bin/true')).mode & 0o111).not.toBe(0);
      expect(statSync(join(dir, 'sysroot')).mode & 0o200).not.toBe(0);
    }
    writeFileSync(join(local, 'feeder_2.0.0', 'stale'), 'from an earlier copy');
    const again = await uni(['pkg', 'get', 'feeder', '--arch', 'x86_64', '--ops', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { ops: { path: string; load: string } }[])[0]!.ops).toEqual({ path: join(local, 'feeder_2.0.0'), load: 'feeder_2.0.0' });
    expect(existsSync(join(local, 'feeder_2.0.0', 'stale'))).toBe(false);
    expect(existsSync(join(local, 'feeder_2.0.0', 'sysroot/usr/bin/true'))).toBe(true);
  });
});

describe('uni manifest -p with a package on this machine', () => {
  type Node = { children?: Record<string, Node>; host?: string };
  const run = (args: string[], h: string, dir = 'local') => uni(['manifest', '-c', join(W, dir, 'config.json'), '--arch', 'x86_64', '--format', 'json', ...args], { home: h, registry: reg.url });

  it('takes a package folder or archive without publishing it, checked by the same archive rules', async () => {
    const dir = join(W, 'local');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ Args: ['--flag'] }));
    const archive = join(dir, 'mine_1.2.0.tar.gz');
    writeFileSync(archive, await buildPackage({ name: 'mine', version: '1.2.0', manifest: { Args: ['mine'] } }));
    const tar = spawnSync('tar', ['-xzf', archive, '-C', dir]);
    expect(tar.status).toBe(0);
    for (const given of [archive, join(dir, 'mine_1.2.0')]) {
      const h = home();
      const r = await run(['-p', given], h);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { program: string; arguments: string[]; root: Node };
      expect(doc.program).toBe('/usr/bin/true');
      expect(doc.arguments).toEqual(['mine', '--flag']);
      expect(doc.root.children!['usr']!.children!['bin']!.children!['true']!.host).toMatch(new RegExp(`^${h}/trees/sha256/[0-9a-f]{64}/mine_1\\.2\\.0/sysroot/usr/bin/true$`));
    }
    // Nothing was published.
    expect((await uni(['pkg', 'info', 'mine'], { home: home(), registry: reg.url })).code).toBe(1);
  });

  it('refuses an archive the registry would refuse, naming it, and writes no uni.lock', async () => {
    mkdirSync(join(W, 'local-bad'), { recursive: true });
    writeFileSync(join(W, 'local-bad', 'config.json'), '{}');
    const bad = join(W, 'local-bad', 'evil_1.0.0.tar.gz');
    writeFileSync(bad, await buildPackage({ name: 'evil', version: '1.0.0', extra: [{ name: 'evil_1.0.0/sysroot/etc/x', type: 'symlink', linkname: '../../../../etc/passwd' }] }));
    const r = await run(['-p', bad], home(), 'local-bad');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr, r.stderr).toMatch(new RegExp(`^uni: -p ${bad}: .*escapes the top folder\n$`));
    expect(existsSync(join(W, 'local-bad', 'uni.lock'))).toBe(false);
    const missing = await run(['-p', './no-such-dir'], home(), 'local-bad');
    expect(missing).toMatchObject({ code: 2, stderr: 'uni: -p ./no-such-dir: no such file or folder\n' });
  });
});
