import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPackage, gzipTar, hostProgram } from '../helpers/archive.js';
import { ADMIN_TOKEN, e2eSuite, publish, uni, type Registry } from './harness.js';

let reg: Registry;

const { home } = e2eSuite(async (r) => {
  reg = r;
});

describe('accounts and tokens', () => {
  it('login reads the token from stdin, checks it, and stores it per registry in a 0600 file', async () => {
    const h = home();
    const env = { home: h, registry: reg.url };
    const bad = await uni(['login'], env, 'not-a-real-token-at-all\n');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^uni: whoami: /);
    expect(() => statSync(join(h, 'config.json'))).toThrow();

    const ok = await uni(['login'], env, `${ADMIN_TOKEN}\n`);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(new RegExp(`^logged in to ${reg.url} \\(owner: `));
    expect(statSync(join(h, 'config.json')).mode & 0o777).toBe(0o600);
    const file = JSON.parse(readFileSync(join(h, 'config.json'), 'utf8'));
    expect(file.registries[reg.url].token).toBe(ADMIN_TOKEN);

    const who = await uni(['whoami', '--json'], env);
    expect(JSON.parse(who.stdout).scopes).toEqual(['admin']);
    const again = await uni(['login', '--json'], env, `${ADMIN_TOKEN}\n`);
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(who.stdout));

    const made = await uni(['token', 'create', '--scope', 'read', 'publish', '--namespace', 'acme', '--expires', '30', '--json'], env);
    expect(made.stderr).toBe('');
    const token = JSON.parse(made.stdout) as { id: string; token: string; scopes: string[]; namespace: string };
    expect(token.scopes).toEqual(['publish', 'read']);
    expect(token.namespace).toBe('acme');
    const asNew = await uni(['whoami', '--json'], { ...env, token: token.token });
    expect(JSON.parse(asNew.stdout).id).toBe(token.id);
    expect((await uni(['token', 'revoke', token.id], env)).stdout).toBe(`revoked ${token.id}\n`);
    const revoked = await uni(['whoami'], { ...env, token: token.token });
    expect(revoked.code).toBe(1);

    const badScope = await uni(['token', 'create', '--scope', 'root'], env);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toBe('uni: unknown scope "root": use read, publish, admin\n');

    expect((await uni(['logout'], env)).stdout).toBe(`logged out of ${reg.url}\n`);
    const after = await uni(['whoami'], env);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('run `uni login`');
  });
});

describe('publish, inspect, yank', () => {
  it('publishes an archive and gets it back; refuses a bad archive before any upload', async () => {
    const h = home();
    const env = { home: h, registry: reg.url, token: ADMIN_TOKEN };
    const dir = mkdtempSync(join(tmpdir(), 'uni-e2e-pub-'));
    const file = join(dir, 'tool_1.2.0.tar.gz');
    writeFileSync(file, await buildPackage({ name: 'tool', version: '1.2.0' }));
    const pub = await uni(['pkg', 'publish', file, '--namespace', 'acme'], env);
    expect(pub.stderr).toBe('');
    expect(pub.stdout).toMatch(/^published acme\/tool@1\.2\.0 \(x86_64\) sha256:[0-9a-f]{64}\n$/);
    const same = await uni(['pkg', 'publish', file, '--namespace', 'acme'], env);
    expect(same.stdout).toMatch(/was already published with these exact bytes/);

    const got = await uni(['pkg', 'get', 'acme/tool', '--json'], env);
    const [p] = JSON.parse(got.stdout) as Array<{ name: string; digest: string; path: string }>;
    expect(p!.name).toBe('acme/tool');
    expect(readFileSync(file).length).toBeGreaterThan(0);
    expect(pub.stdout).toContain(p!.digest);

    // A folder is packed as `uni pkg pack` does, then published.
    const folder = join(dir, 'folder');
    mkdirSync(join(folder, 'sysroot', 'usr', 'bin'), { recursive: true });
    writeFileSync(join(folder, 'package.manifest'), JSON.stringify({ Name: 'foldered', Version: '0.3.0', Program: '/usr/bin/true' }));
    copyFileSync(hostProgram().program, join(folder, 'sysroot', 'usr', 'bin', 'true'));
    const fromDir = await uni(['pkg', 'publish', folder, '--namespace', 'acme', '--json'], env);
    expect(fromDir.stderr).toBe('');
    expect(JSON.parse(fromDir.stdout)).toMatchObject({ name: 'acme/foldered', version: '0.3.0', arch: 'x86_64', created: true });
    const gotDir = JSON.parse((await uni(['pkg', 'get', 'acme/foldered', '--json'], env)).stdout);
    expect(readFileSync(join(gotDir[0].path, 'sysroot', 'usr', 'bin', 'true')).equals(readFileSync(hostProgram().program))).toBe(true);

    const evil = join(dir, 'evil.tar.gz');
    writeFileSync(evil, await gzipTar([{ name: 'evil_1.0.0/', type: 'directory' }, { name: 'evil_1.0.0/../x', content: 'x' }]));
    const before = reg.requests.length;
    const refused = await uni(['pkg', 'publish', evil], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('uni: archive entry "evil_1.0.0/../x" contains ".."; entries may not leave the top folder\n');
    expect(reg.requests.slice(before)).toEqual([]);

    const noToken = await uni(['pkg', 'publish', file], { home: h, registry: reg.url });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('publishing needs a token');
  });

  it('info, versions, contents, search and list answer from the registry and the cache', async () => {
    const h = home();
    const env = { home: h, registry: reg.url, token: ADMIN_TOKEN };
    for (const v of ['1.0.0', '1.1.0']) {
      await publish(reg.url, 'library/inspectme', v, 'x86_64', await buildPackage({ name: 'inspectme', version: v, manifest: { Description: 'a package to inspect' } }));
    }
    const info = JSON.parse((await uni(['pkg', 'info', 'inspectme', '--json'], env)).stdout);
    expect(info.version).toBe('1.1.0');
    expect(Object.keys(info.artifacts)).toEqual(['x86_64']);
    const versions = JSON.parse((await uni(['pkg', 'versions', 'inspectme', '--json'], env)).stdout);
    expect(versions.map((v: { version: string }) => v.version)).toEqual(['1.1.0', '1.0.0']);
    const contents = await uni(['pkg', 'contents', 'inspectme@1.0.0'], env);
    expect(contents.stdout).toMatch(/^file\s+0644\s+\d+\s+package\.manifest$/m);
    expect(contents.stdout).toMatch(/^symlink\s+\d+\s+sysroot\/bin -> usr\/bin$/m);
    const search = JSON.parse((await uni(['pkg', 'search', 'inspect', '--json'], env)).stdout);
    expect(search.map((r: { name: string }) => r.name)).toContain('library/inspectme');
    expect(JSON.parse((await uni(['pkg', 'list', '--json'], env)).stdout)).toEqual([]);
    const get = await uni(['pkg', 'get', 'inspectme@1.0.0'], env);
    expect(get.stderr).toBe('');
    const list = JSON.parse((await uni(['pkg', 'list', '--json'], env)).stdout);
    expect(list.map((p: { name: string; version: string }) => `${p.name}@${p.version}`)).toEqual(['library/inspectme@1.0.0']);
    expect((await uni(['cache', 'path'], env)).stdout).toBe(`${h}\n`);
    expect(JSON.parse((await uni(['cache', 'path', '--json'], env)).stdout)).toEqual({ path: h });
    const missing = await uni(['pkg', 'info', 'inspectme@^3'], env);
    expect(missing.stderr).toBe('uni: library/inspectme has no version matching ^3 (published: 1.1.0, 1.0.0)\n');
  });

  it('yank hides a version from ranges; a uni.lock that pins it still gets it; unyank restores it', async () => {
    const h = home();
    const env = { home: h, registry: reg.url, token: ADMIN_TOKEN };
    for (const v of ['3.0.0', '3.1.0']) {
      await publish(reg.url, 'library/yankee', v, 'x86_64', await buildPackage({ name: 'yankee', version: v }));
    }
    const project = mkdtempSync(join(tmpdir(), 'uni-e2e-proj-'));
    const config = join(project, 'config.json');
    writeFileSync(config, JSON.stringify({ Dependencies: { 'library/yankee': '^3' } }));
    const locked = await uni(['lock', '-c', config, '--json'], env);
    expect(JSON.parse(locked.stdout).packages['library/yankee']).toBe('3.1.0');

    const y = await uni(['pkg', 'yank', 'yankee@3.1.0', '--reason', 'broken build'], env);
    expect(y.stdout).toBe('yanked library/yankee@3.1.0\n');
    const got = JSON.parse((await uni(['pkg', 'get', 'yankee@^3', '--json'], env)).stdout);
    expect(got[0].version).toBe('3.0.0');
    const info = JSON.parse((await uni(['pkg', 'info', 'yankee@3.1.0', '--json'], env)).stdout);
    expect(info).toMatchObject({ yanked: true, yankReason: 'broken build' });

    const manifest = await uni(['manifest', '-c', config, '--format', 'json'], env);
    // Used, with a warning that gives the reason and the way out.
    expect(manifest.stderr).toBe(
      'uni: warning: library/yankee 3.1.0 in uni.lock is yanked: broken build; `uni lock --update library/yankee` moves it to a version that is not\n',
    );
    expect(manifest.code).toBe(0);
    const cached = JSON.parse((await uni(['pkg', 'list', '--json'], env)).stdout) as Array<{ name: string; version: string }>;
    expect(cached.map((p) => `${p.name}@${p.version}`).sort()).toEqual(['library/yankee@3.0.0', 'library/yankee@3.1.0']);

    expect((await uni(['pkg', 'unyank', 'yankee@3.1.0'], env)).stdout).toBe('unyanked library/yankee@3.1.0\n');
    const back = JSON.parse((await uni(['pkg', 'get', 'yankee@^3', '--json'], env)).stdout);
    expect(back[0].version).toBe('3.1.0');
    const usage = await uni(['pkg', 'yank', 'yankee@^3'], env);
    expect(usage.code).toBe(2);
  });
});
