/**
 * `uni manifest` against a real registry on loopback: three packages published over HTTP
 * (a runtime, the library it loads, an app), a project that depends on them, and the
 * manifest checked file by file against the bytes in the cache.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostArch } from '../../client/arch.js';
import { gzipTar, hostProgram, type TarEntry } from '../helpers/archive.js';
import { layFiles, tempDir } from '../merge/helpers.js';
import { parseManifest } from '../merge/tuple-parser.js';
import { e2eSuite, publish, uni as runUni, type Registry } from './harness.js';

// The registry checks that a Program is an ELF for the artifact's CPU: the host's `true` is one.
const ARCH = hostArch();
/** What ops gives every program (docs/merge.md, rule 12). */
const OPS_ENV = { USER: 'root', PWD: '/', NANOS_ARCH: ARCH === 'x86_64' ? 'amd64' : 'arm64' };

interface PackageDef {
  name: string;
  version: string;
  manifest: Record<string, unknown>;
  files: Record<string, string | { exec: Buffer }>;
}

function archiveEntries(p: PackageDef): TarEntry[] {
  const top = `${p.name}_${p.version}`;
  const entries: TarEntry[] = [
    { name: `${top}/`, type: 'directory' },
    { name: `${top}/package.manifest`, content: JSON.stringify({ Name: p.name, Version: p.version, ...p.manifest }) },
  ];
  const dirs = new Set<string>();
  for (const [path, spec] of Object.entries(p.files)) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `${top}/${parts.slice(0, i).join('/')}/`;
      if (!dirs.has(dir)) entries.push({ name: dir, type: 'directory' });
      dirs.add(dir);
    }
    entries.push(typeof spec === 'string' ? { name: `${top}/${path}`, content: spec } : { name: `${top}/${path}`, content: spec.exec, mode: 0o755 });
  }
  return entries;
}

const LIB: PackageDef = {
  name: 'libgreet',
  version: '1.0.0',
  manifest: { Env: { GREET_LANG: 'en', SHARED: 'from-lib' } },
  files: { 'sysroot/usr/lib/libgreet.so.1': 'libgreet one' },
};
const RUNTIME: PackageDef = {
  name: 'greeter',
  version: '2.0.0',
  manifest: { Program: '/usr/bin/greeter', Args: ['greeter'], Env: { SHARED: 'from-runtime' }, Dependencies: { 'library/libgreet': '^1' } },
  files: { 'sysroot/usr/bin/greeter': { exec: readFileSync(hostProgram().program) } },
};
const APP: PackageDef = {
  name: 'hello-app',
  version: '1.0.0',
  manifest: { Env: { APP_MODE: 'prod' }, Dependencies: { 'library/greeter': '^2' } },
  files: { 'sysroot/srv/app/main.greet': 'greet "world"' },
};
const CLASH: PackageDef = {
  name: 'other-greet',
  version: '1.0.0',
  manifest: {},
  files: { 'sysroot/usr/lib/libgreet.so.1': 'a different libgreet' },
};

let registry: Registry;

function uni(args: string[], uniHome: string) {
  return runUni(args, { home: uniHome, registry: registry.url });
}

interface JsonNode {
  type: string;
  host?: string;
  sha256?: string;
  mode?: string;
  children?: Record<string, JsonNode>;
}

function files(node: JsonNode, path = ''): Map<string, JsonNode> {
  const out = new Map<string, JsonNode>();
  if (node.type === 'file') out.set(path, node);
  for (const [name, child] of Object.entries(node.children ?? {})) for (const [p, n] of files(child, `${path}/${name}`)) out.set(p, n);
  return out;
}

const { home } = e2eSuite(async (r) => {
  registry = r;
  for (const p of [LIB, RUNTIME, APP, CLASH]) {
    await publish(registry.url, `library/${p.name}`, p.version, ARCH, await gzipTar(archiveEntries(p)));
  }
});

describe('uni manifest against a real registry', () => {
  it('merges a runtime, its library, an app and the project\'s files', async () => {
    const project = tempDir('uni-e2e-project-');
    layFiles(project, {
      'config.json': JSON.stringify({
        Dependencies: { greeter: '^2', 'hello-app': '^1' },
        Env: { APP_MODE: 'dev' },
        Args: ['/srv/app/main.greet', '--name', 'a b'],
        Files: ['data/greeting.txt'],
      }),
      'data/greeting.txt': 'hello',
    });
    const cacheHome = home();
    const r = await uni(['manifest', '-c', join(project, 'config.json'), '--arch', ARCH, '--format', 'json'], cacheHome);
    expect(r.stderr).toBe('');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { program: string; arguments: string[]; environment: object; root: JsonNode; packages: { name: string }[] };
    expect(doc.program).toBe('/usr/bin/greeter');
    expect(doc.arguments).toEqual(['greeter', '/srv/app/main.greet', '--name', 'a b']);
    expect(doc.environment).toEqual({ ...OPS_ENV, APP_MODE: 'dev', GREET_LANG: 'en', SHARED: 'from-runtime' });
    expect(doc.packages.map((p) => p.name)).toEqual(['library/greeter', 'library/hello-app', 'library/libgreet']);
    const all = files(doc.root);
    expect([...all.keys()].sort()).toEqual([
      '/data/greeting.txt',
      '/etc/passwd',
      '/etc/resolv.conf',
      '/proc/sys/kernel/hostname',
      '/srv/app/main.greet',
      '/usr/bin/greeter',
      '/usr/lib/libgreet.so.1',
    ]);
    expect(all.get('/etc/resolv.conf')!.host).toContain(join(cacheHome, 'generated'));
    for (const [path, node] of all) {
      expect(existsSync(node.host!), path).toBe(true);
      expect(createHash('sha256').update(readFileSync(node.host!)).digest('hex'), path).toBe(node.sha256);
    }
    expect(all.get('/usr/lib/libgreet.so.1')!.host).toContain(cacheHome);
    // The archive's modes, not those of the cache's read-only copies.
    expect(all.get('/usr/bin/greeter')).toMatchObject({ mode: '0755' });
    expect(all.get('/usr/lib/libgreet.so.1')).toMatchObject({ mode: '0644' });

    const nanos = await uni(['manifest', '-c', join(project, 'config.json'), '--arch', ARCH, '--offline'], cacheHome);
    expect(nanos.code, nanos.stderr).toBe(0);
    const root = parseManifest(nanos.stdout) as Map<string, unknown>;
    expect(root.get('program')).toBe('/usr/bin/greeter');
    expect(root.get('arguments')).toEqual(doc.arguments);
    expect(Object.fromEntries(root.get('environment') as Map<string, string>)).toEqual(doc.environment);
  });

  it('exits 1 naming the path and both packages when two packages disagree on a file', async () => {
    const project = tempDir('uni-e2e-project-');
    layFiles(project, { 'config.json': JSON.stringify({ Dependencies: { greeter: '^2', 'other-greet': '1' } }) });
    const r = await uni(['manifest', '-c', join(project, 'config.json'), '--arch', ARCH], home());
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('/usr/lib/libgreet.so.1 is provided by library/libgreet@1.0.0 and by library/other-greet@1.0.0');
  });

  it('accepts the ops config.json from ops\'s docs unchanged, with the package given as ops pkg load would', async () => {
    const project = tempDir('uni-e2e-ops-');
    cpSync(join(import.meta.dirname, '../fixtures/ops-config'), project, { recursive: true });
    const r = await uni(['manifest', '-c', join(project, 'config.json'), '--arch', ARCH, '-p', 'greeter@^2', '--format', 'json'], home());
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { arguments: string[]; environment: object; root: JsonNode; baseVolumeSize: string };
    expect(readFileSync(files(doc.root).get('/etc/resolv.conf')!.host!, 'utf8')).toBe('nameserver 10.8.0.1\n');
    expect(doc.arguments).toEqual(['greeter', 'ex.js']);
    expect(doc.environment).toEqual({ ...OPS_ENV, Environment: 'development', NODE_DEBUG: '*', GREET_LANG: 'en', SHARED: 'from-runtime' });
    expect([...files(doc.root).keys()]).toEqual(
      expect.arrayContaining(['/ex.js', '/myapp/static/example.html', '/myapp/static/stylesheet/main.css', '/usr/lib/ssl/certs/ca.pem']),
    );
    expect(doc.baseVolumeSize).toBe('100m');
  });

  it('writes uni.lock, keeps to it while it fits, and resolves again when the config moves past it', async () => {
    const project = tempDir('uni-e2e-lock-');
    const config = (range: string) => JSON.stringify({ Dependencies: { greeter: range }, Args: ['x'] });
    layFiles(project, { 'config.json': config('^2') });
    const cacheHome = home();
    const run = () => uni(['manifest', '-c', join(project, 'config.json'), '--arch', ARCH, '--format', 'json'], cacheHome);
    const first = await run();
    expect(first.code, first.stderr).toBe(0);
    const lockPath = join(project, 'uni.lock');
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as { packages: Record<string, { version: string; digest: string }> };
    expect(lock.packages['library/greeter']!.version).toBe('2.0.0');

    const newer: PackageDef = { ...RUNTIME, version: '2.1.0' };
    await publish(registry.url, 'library/greeter', newer.version, ARCH, await gzipTar(archiveEntries(newer)));
    const kept = await run();
    expect(kept.code, kept.stderr).toBe(0);
    // Used as it stands: a lock that no longer fitted would be resolved again, and stderr would say so.
    expect(kept.stderr).not.toContain('resolving again');
    expect((JSON.parse(kept.stdout) as { packages: { name: string; version: string }[] }).packages).toContainEqual({
      name: 'library/greeter',
      version: '2.0.0',
      digest: lock.packages['library/greeter']!.digest,
    });

    writeFileSync(join(project, 'config.json'), config('^2.1'));
    const moved = await run();
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stderr).toContain('uni.lock has library/greeter 2.0.0, but config.json needs ^2.1: resolving again');
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).packages['library/greeter'].version).toBe('2.1.0');
  });

  it('refuses an archive whose digest is not the one uni.lock pins', async () => {
    const project = tempDir('uni-e2e-lock-');
    layFiles(project, { 'config.json': JSON.stringify({ Dependencies: { greeter: '2.0.0' } }) });
    const first = await uni(['manifest', '-c', join(project, 'config.json'), '--arch', ARCH], home());
    expect(first.code, first.stderr).toBe(0);
    const lockPath = join(project, 'uni.lock');
    const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
    lock.packages['library/greeter'].digest = `sha256:${'0'.repeat(64)}`;
    writeFileSync(lockPath, JSON.stringify(lock));
    const r = await uni(['manifest', '-c', join(project, 'config.json'), '--arch', ARCH], home());
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/serves library\/greeter 2\.\d\.\d \(\w+\) as sha256:[0-9a-f]{64}, but uni\.lock pins sha256:0{64}: that registry's archive is not the locked one/);
  });
});
