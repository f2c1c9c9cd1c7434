import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archivePath, cacheLayout, treePath, type CacheLayout } from '../../client/cache/layout.js';
import { verifyTree } from '../../client/cache/tree.js';
import { fetchSolution } from '../../client/fetch/solution.js';
import { cleanCache, verifyCache } from '../../client/cache/maintain.js';
import { listTrees } from '../../client/cache/inventory.js';
import { silentProgress } from '../../client/progress.js';
import { RegistryClient } from '../../client/registry/client.js';
import { RegistrySource } from '../../client/registry/source.js';
import { buildPackage, gzipTar } from '../helpers/archive.js';
import { startStaticRegistry, type StaticRegistry } from './static-registry.js';

const fast = { timeoutMs: 5_000, retry: { retries: 3, baseDelayMs: 5, maxDelayMs: 50 }, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

let reg: StaticRegistry;
let home: string;
let layout: CacheLayout;
let warnings: string[];

beforeEach(async () => {
  reg = await startStaticRegistry();
  home = mkdtempSync(join(tmpdir(), 'uni-install-'));
  layout = cacheLayout(home);
  warnings = [];
});

afterEach(async () => {
  await reg.close();
  for (const dir of [layout.trees, join(home, 'trees')]) {
    if (existsSync(dir)) chmodTreeWritable(dir);
  }
  rmSync(home, { recursive: true, force: true });
});

function chmodTreeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) chmodTreeWritable(join(dir, d.name));
}

function install(solution: Record<string, string>, opts: { offline?: boolean; url?: string } = {}) {
  const client = new RegistryClient({ baseUrl: opts.url ?? reg.url, http: fast });
  const source = new RegistrySource({ client, layout, offline: opts.offline ?? false, warn: (m) => warnings.push(m) });
  return fetchSolution({ solution, arch: 'x86_64', source, layout, client: opts.offline ? null : client, progress: silentProgress, warn: (m) => warnings.push(m) });
}

function leftovers(): string[] {
  const out: string[] = [];
  for (const dir of [layout.archives, layout.trees]) {
    if (existsSync(dir)) out.push(...readdirSync(dir).filter((n) => n.startsWith('.')));
  }
  return out;
}

describe('fetchSolution', () => {
  it('downloads, verifies and extracts a package into a read-only tree, then answers from the cache', async () => {
    const digest = reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
    const [p] = await install({ 'library/redis': '7.2.4' });
    expect(p!.digest).toBe(digest);
    expect(p!.downloaded).toBe(true);
    expect(p!.path).toBe(join(treePath(layout, digest), 'redis_7.2.4'));
    expect(p!.manifest.Program).toBe('/usr/bin/true');
    expect(readFileSync(join(p!.path, 'sysroot/usr/bin/true')).subarray(1, 4).toString()).toBe('ELF');
    expect(statSync(join(p!.path, 'sysroot/usr/bin/true')).mode & 0o222).toBe(0);
    expect(statSync(join(p!.path, 'sysroot')).mode & 0o222).toBe(0);
    expect(existsSync(archivePath(layout, digest))).toBe(true);
    expect(await verifyTree(treePath(layout, digest), digest)).toBeNull();

    const [again] = await install({ 'library/redis': '7.2.4' });
    expect(again!.downloaded).toBe(false);
    expect(reg.hits.blobs).toBe(1);
    expect(reg.hits.notModified).toBe(1);
  });

  it('refuses bytes whose digest differs from the registry\'s and keeps nothing of them', async () => {
    const archive = await buildPackage({ name: 'redis', version: '7.2.4' });
    reg.add({ name: 'redis', version: '7.2.4', archive });
    // Another gzip MTIME: the same size and a valid archive, but other bytes.
    reg.replaceBlob = Buffer.from(archive);
    reg.replaceBlob[4] ^= 0xff;
    await expect(install({ 'library/redis': '7.2.4' })).rejects.toThrow(/digest is sha256:[0-9a-f]{64}, but the registry lists/);
    expect(leftovers()).toEqual([]);
    expect(readdirSync(layout.archives)).toEqual([]);
    expect(readdirSync(layout.trees)).toEqual([]);
  });

  it('refuses an archive that breaks the safety rules, naming the entry, and keeps nothing', async () => {
    const bad = await gzipTar([
      { name: 'evil_1.0.0/', type: 'directory' },
      { name: 'evil_1.0.0/package.manifest', content: '{"Version":"1.0.0"}' },
      { name: 'evil_1.0.0/sysroot/lib', type: 'symlink', linkname: '../../../etc' },
    ]);
    reg.add({ name: 'evil', version: '1.0.0', archive: bad });
    await expect(install({ 'library/evil': '1.0.0' })).rejects.toThrow(/evil_1\.0\.0\/sysroot\/lib/);
    expect(leftovers()).toEqual([]);
    expect(readdirSync(layout.trees)).toEqual([]);
  });

  it('refuses a chain of relative links that, followed, would leave the tree, and writes no link', async () => {
    const deep = `chain_1.0.0/sysroot/${Array.from({ length: 20 }, (_, i) => `d${i + 1}`).join('/')}`;
    const bad = await gzipTar([
      { name: 'chain_1.0.0/', type: 'directory' },
      { name: 'chain_1.0.0/package.manifest', content: '{"Version":"1.0.0"}' },
      { name: `${deep}/b`, type: 'symlink', linkname: '../'.repeat(20) },
      { name: `${deep}/a`, type: 'symlink', linkname: `b/${'../'.repeat(21)}etc` },
    ]);
    reg.add({ name: 'chain', version: '1.0.0', archive: bad });
    await expect(install({ 'library/chain': '1.0.0' })).rejects.toThrow(`archive entry "${deep}/a" is a symbolic link to`);
    expect(leftovers()).toEqual([]);
    expect(readdirSync(layout.trees)).toEqual([]);
  });

  it('retries a 503 with Retry-After and resumes a download cut mid-body with a Range request', async () => {
    const archive = await buildPackage({ name: 'redis', version: '7.2.4' });
    const digest = reg.add({ name: 'redis', version: '7.2.4', archive });
    reg.fail503 = 2;
    reg.cutAfter = { bytes: 50_000, times: 1 };
    const [p] = await install({ 'library/redis': '7.2.4' });
    expect(p!.digest).toBe(digest);
    expect(reg.hits.ranges).toEqual(['bytes=50000-']);
    expect(await verifyTree(treePath(layout, digest), digest)).toBeNull();
  });

  it('fetches again an archive whose cached bytes are damaged', async () => {
    const digest = reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
    await install({ 'library/redis': '7.2.4' });
    const file = archivePath(layout, digest);
    chmodSync(file, 0o644);
    const bytes = readFileSync(file);
    bytes[bytes.length - 100] ^= 0xff;
    writeFileSync(file, bytes);
    chmodTreeWritable(layout.trees);
    rmSync(treePath(layout, digest), { recursive: true });
    const [p] = await install({ 'library/redis': '7.2.4' });
    expect(p!.downloaded).toBe(true);
    expect(reg.hits.blobs).toBe(2);
    expect(readFileSync(file).equals(bytes)).toBe(false);
  });

  it('fetches again an archive damaged near its start, with most of its bytes still unread', async () => {
    const extra = [{ name: 'redis_7.2.4/sysroot/data', content: randomBytes(8 << 20) }];
    const digest = reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4', extra }) });
    const file = archivePath(layout, digest);
    // Damage in the gzip stream (zlib fails) and in the tar headers (tar-stream fails).
    for (const [at, fetched] of [[100, 2], [2000, 3], [30_000, 4], [300_000, 5]] as const) {
      if (!existsSync(file)) await install({ 'library/redis': '7.2.4' });
      chmodSync(file, 0o644);
      const bytes = readFileSync(file);
      bytes.fill(0x55, at, at + 400);
      writeFileSync(file, bytes);
      chmodTreeWritable(layout.trees);
      rmSync(treePath(layout, digest), { recursive: true });
      const [p] = await install({ 'library/redis': '7.2.4' });
      expect(p!.downloaded, `damage at ${at}`).toBe(true);
      expect(reg.hits.blobs).toBe(fetched);
      expect(await verifyTree(treePath(layout, digest), digest)).toBeNull();
      expect(leftovers()).toEqual([]);
    }
  });

  it('fetches again a cached archive that can no longer be read', async () => {
    const digest = reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
    await install({ 'library/redis': '7.2.4' });
    const file = archivePath(layout, digest);
    rmSync(file);
    mkdirSync(file);
    chmodTreeWritable(layout.trees);
    rmSync(treePath(layout, digest), { recursive: true });
    const [p] = await install({ 'library/redis': '7.2.4' });
    expect(p!.downloaded).toBe(true);
    expect(statSync(file).isFile()).toBe(true);
    expect(await verifyTree(treePath(layout, digest), digest)).toBeNull();
  });

  it('answers from the cache when the registry is unreachable, and says so', async () => {
    reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
    await install({ 'library/redis': '7.2.4' });
    const url = reg.url;
    await reg.close();
    const [p] = await install({ 'library/redis': '7.2.4' }, { url });
    expect(p!.version).toBe('7.2.4');
    expect(warnings.join('\n')).toMatch(/connection refused.*answering from the cache/);
    reg = await startStaticRegistry();
  });

  it('offline: answers a hit from the cache and fails a miss clearly, without the network', async () => {
    reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
    await install({ 'library/redis': '7.2.4' });
    const before = reg.hits.docs;
    const [p] = await install({ 'library/redis': '7.2.4' }, { offline: true });
    expect(p!.version).toBe('7.2.4');
    await expect(install({ 'library/nginx': '1.0.0' }, { offline: true })).rejects.toThrow(
      'library/nginx is not in the cache, and --offline forbids asking the registry',
    );
    expect(reg.hits.docs).toBe(before);
  });

  it('names the architectures a version has when the wanted one is missing', async () => {
    reg.add({ name: 'redis', version: '7.2.4', arch: 'aarch64', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
    await expect(install({ 'library/redis': '7.2.4' })).rejects.toThrow('library/redis@7.2.4 has no artifact for x86_64: it is built for aarch64 only');
  });

  it('cache verify removes a damaged tree and a damaged archive; the next install restores both', async () => {
    const digest = reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
    const [p] = await install({ 'library/redis': '7.2.4' });
    expect((await verifyCache(layout)).removed).toEqual([]);
    const readme = join(p!.path, 'README.md');
    chmodSync(readme, 0o644);
    writeFileSync(readme, '# changed\n');
    chmodSync(archivePath(layout, digest), 0o644);
    writeFileSync(archivePath(layout, digest), 'not the archive');
    const report = await verifyCache(layout);
    expect(report.removed.map((r) => [r.kind, r.problem])).toEqual([
      ['archive', expect.stringMatching(/^its bytes hash to sha256:/)],
      ['tree', 'README.md has 10 bytes, expected 8'],
    ]);
    expect(existsSync(treePath(layout, digest))).toBe(false);
    const [again] = await install({ 'library/redis': '7.2.4' });
    expect(again!.downloaded).toBe(true);
    expect(readFileSync(join(again!.path, 'README.md'), 'utf8')).toBe('# redis\n');
  });

  it('cache clean removes what is older than asked and keeps the rest', async () => {
    reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
    await install({ 'library/redis': '7.2.4' });
    expect((await cleanCache(layout, 60_000, Date.now())).removed).toEqual([]);
    expect(listTrees(layout)).toHaveLength(1);
    const report = await cleanCache(layout, 60_000, Date.now() + 120_000);
    expect(report.removed.map((r) => r.kind).sort()).toEqual(['archive', 'document', 'tree']);
    expect(listTrees(layout)).toEqual([]);
  });

  it('answers from the cache when the registry keeps failing with 5xx', async () => {
    reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
    await install({ 'library/redis': '7.2.4' });
    reg.failDocs = 10;
    const [p] = await install({ 'library/redis': '7.2.4' });
    expect(p!.version).toBe('7.2.4');
    expect(warnings).toEqual(['package library/redis: registry down; answering from the cache']);
  });
});
