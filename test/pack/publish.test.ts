/**
 * The packages from-binary and pack make go through the real registry and back: an archive
 * in ops's own layout publishes as it stands, the host seed publishes node, and the example
 * project turns into an image manifest that runs node on its script.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmptyDataDir, seedFromHost, semverOfDebianVersion, debianVersionOf } from '../../server/seed.js';
import { ADMIN_TOKEN, removeHome, requireBuild, ROOT, startRegistry, tempHome, uni, waitFor, type Registry } from '../e2e/harness.js';
import { cc } from '../elf/ldd.js';
import { startServerProcess } from '../helpers/node-deployment.js';

const W = mkdtempSync(path.join(tmpdir(), 'uni-pack-publish-'));
let registry: Registry;
let home: string;

beforeAll(async () => {
  requireBuild();
  registry = await startRegistry();
  home = tempHome();
});
afterAll(async () => {
  await registry?.stop();
  removeHome(home);
  rmSync(W, { recursive: true, force: true });
});

describe('publishing what from-binary and pack make', () => {
  it('publishes an archive in ops\'s layout, made by GNU tar with no Name, as it stands, and gets it back', async () => {
    const top = path.join(W, 'ops', 'hello_1.2.3');
    mkdirSync(path.join(top, 'sysroot/usr/bin'), { recursive: true });
    cc(path.join(top, 'sysroot/usr/bin/hello'), 'int main(void){return 0;}', ['-static']);
    mkdirSync(path.join(top, 'sysroot/etc'), { recursive: true });
    writeFileSync(path.join(top, 'sysroot/etc/hello.conf'), 'greeting=hi\n');
    writeFileSync(
      path.join(top, 'package.manifest'),
      JSON.stringify({ Program: '/usr/bin/hello', Args: ['hello'], Version: '1.2.3', Env: { A: 'b' }, Description: 'an ops package' }),
    );
    const archive = path.join(W, 'hello_1.2.3.tar.gz');
    const tar = spawnSync('tar', ['-C', path.dirname(top), '-czf', archive, 'hello_1.2.3'], { encoding: 'utf8' });
    expect(tar.status, tar.stderr).toBe(0);
    const env = { home, registry: registry.url, token: ADMIN_TOKEN };
    const pub = await uni(['pkg', 'publish', archive, '--json'], env);
    expect(pub.stderr).toBe('');
    expect(pub.code).toBe(0);
    const got = await uni(['pkg', 'get', 'hello', '--json'], env);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toContain('"version": "1.2.3"');
    const contents = await uni(['pkg', 'contents', 'hello'], env);
    expect(contents.code, contents.stderr).toBe(0);
    expect(contents.stdout).toContain('sysroot/usr/bin/hello');
    expect(contents.stdout).toContain('sysroot/etc/hello.conf');
  });

  it('seeds node from this machine, and the example project becomes an image manifest running node on its script', async () => {
    const names = await seedFromHost({
      url: registry.url,
      token: ADMIN_TOKEN,
      log: () => undefined,
      warn: (line) => expect.fail(line),
      plan: [{ name: 'node', program: process.execPath, version: process.versions.node, add: [] }],
    });
    expect(names).toEqual(['node']);
    const env = { home, registry: registry.url };
    const contents = await uni(['pkg', 'contents', 'node'], env);
    expect(contents.code, contents.stderr).toBe(0);
    expect(contents.stdout).toContain(`sysroot${process.execPath}`);
    expect(contents.stdout).toContain('libc.so.6');

    // A copy: uni manifest writes uni.lock beside config.json, which must not land in the repository.
    // The README's own steps may have left one there (it is gitignored), so what is checked is
    // that this run did not touch it, not that it is absent.
    const repoLock = path.join(ROOT, 'examples/node-hello/uni.lock');
    const lockBefore = existsSync(repoLock) ? readFileSync(repoLock, 'utf8') : null;
    const project = path.join(W, 'node-hello');
    cpSync(path.join(ROOT, 'examples/node-hello'), project, { recursive: true });
    const res = await uni(['manifest', '-c', path.join(project, 'config.json'), '--format', 'json'], env);
    expect(res.code, res.stderr).toBe(0);
    const m = JSON.parse(res.stdout) as { program: string; arguments: string[]; environment: Record<string, string>; root: { children: Record<string, { host?: string }> } };
    expect(m.program).toBe(process.execPath);
    expect(m.arguments).toEqual([path.basename(process.execPath), 'hello.js']);
    expect(m.environment['GREETING']).toBe('hello from a unikernel');
    expect(m.root.children['hello.js']?.host).toBe(path.join(project, 'hello.js'));
    expect(existsSync(repoLock) ? readFileSync(repoLock, 'utf8') : null).toBe(lockBefore);
    expect(Object.keys(m.root.children)).toContain('lib');
  });

  it('seeds each package on its own: one that cannot be made is a warning naming it, and the others still go in', async () => {
    const missing = path.join(W, 'no-such-python3');
    const warnings: string[] = [];
    const names = await seedFromHost({
      url: registry.url,
      token: ADMIN_TOKEN,
      log: () => undefined,
      warn: (line) => warnings.push(line),
      plan: [
        { name: 'true', program: '/usr/bin/true', version: '1.0.0', add: [] },
        { name: 'python', program: missing, version: '3.11.2', add: [] },
        { name: 'false', program: '/usr/bin/false', version: '1.0.0', add: [] },
      ],
    });
    expect(names).toEqual(['true', 'false']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^python was not seeded: /);
    expect(warnings[0]).toContain(missing);
    for (const name of names) {
      const doc = (await (await fetch(`${registry.url}/v1/packages/library/${name}`)).json()) as { versions: Record<string, unknown> };
      expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
    }
    expect((await fetch(`${registry.url}/v1/packages/library/python`)).status).toBe(404);
  });

  it('takes seed versions from dpkg, never from the program', () => {
    expect(semverOfDebianVersion('5:7.0.15-1~deb12u10')).toBe('7.0.15');
    expect(semverOfDebianVersion('3.11.2-6+deb12u6')).toBe('3.11.2');
    expect(semverOfDebianVersion('1.22')).toBe('1.22.0');
    expect(semverOfDebianVersion('git-snapshot')).toBeNull();
    const dpkg = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'coreutils'], { encoding: 'utf8' });
    expect(debianVersionOf('/usr/bin/ls')).toBe(semverOfDebianVersion(dpkg.stdout));
    expect(debianVersionOf(path.join(W, 'not-from-a-package'))).toBeNull();
  });
});

describe('uni serve and the seed', () => {
  it('publishes nothing without --seed-from-host, nor with it once the data folder is in use', async () => {
    const data = path.join(W, 'serve-data');
    expect(isEmptyDataDir(data)).toBe(true);
    const plain = await startServerProcess(data, ADMIN_TOKEN);
    const list = (await (await fetch(`${plain.url}/v1/packages`)).json()) as { results: unknown[] };
    expect(list.results).toEqual([]);
    await plain.stop();
    expect(isEmptyDataDir(data)).toBe(false);

    const again = await startServerProcess(data, ADMIN_TOKEN, ['--seed-from-host']);
    await new Promise((r) => setTimeout(r, 500));
    const after = (await (await fetch(`${again.url}/v1/packages`)).json()) as { results: unknown[] };
    await again.stop();
    expect(after.results).toEqual([]);
    expect(again.output()).not.toContain('seeding');
  });

  it('seeds an empty data folder while serving, then prints the commands to try', async () => {
    const server = await startServerProcess(path.join(W, 'seed-data'), ADMIN_TOKEN, ['--seed-from-host']);
    try {
      // Seeding starts once the server listens; python and redis, when installed, come after node.
      await waitFor('the commands to try', () => server.stdout().includes('in another terminal:') || server.child.exitCode !== null, 110_000);
      expect(server.child.exitCode, server.output()).toBeNull();
      const res = await fetch(`${server.url}/v1/packages/library/node`);
      const doc = (await res.json()) as { versions: Record<string, unknown> };
      expect(res.status, server.output()).toBe(200);
      expect(Object.keys(doc.versions)).toEqual([process.versions.node]);
      expect(server.stdout()).toMatch(/^seeded node\b.*; try, in another terminal:$/m);
      expect(server.stdout()).toContain(`  export UNI_REGISTRY=${server.url}\n  node bin/uni.js pkg get node\n`);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
