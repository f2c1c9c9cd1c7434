import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheLayout, treePath, type CacheLayout } from '../../client/cache/layout.js';
import { cleanCache, verifyCache } from '../../client/cache/maintain.js';
import { STAMP_FILE, stampHolds } from '../../client/cache/stamp.js';
import { COMPLETE_MARKER, removeTree } from '../../client/cache/tree.js';
import { fetchSolution } from '../../client/fetch/solution.js';
import { silentProgress } from '../../client/progress.js';
import { RegistryClient } from '../../client/registry/client.js';
import { RegistrySource } from '../../client/registry/source.js';
import { buildPackage } from '../helpers/archive.js';
import { startStaticRegistry, type StaticRegistry } from './static-registry.js';

const fast = { timeoutMs: 5_000, retry: { retries: 3, baseDelayMs: 5, maxDelayMs: 50 }, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };

let reg: StaticRegistry;
let home: string;
let layout: CacheLayout;
let notes: string[];
let digest: string;

beforeEach(async () => {
  reg = await startStaticRegistry();
  home = mkdtempSync(join(tmpdir(), 'uni-damage-'));
  layout = cacheLayout(home);
  notes = [];
  digest = reg.add({ name: 'redis', version: '7.2.4', archive: await buildPackage({ name: 'redis', version: '7.2.4' }) });
});

afterEach(async () => {
  await reg.close();
  removeTree(home);
});

function install() {
  const client = new RegistryClient({ baseUrl: reg.url, http: fast });
  const source = new RegistrySource({ client, layout, offline: false, warn: (m) => notes.push(`source: ${m}`) });
  return fetchSolution({ solution: { 'library/redis': '7.2.4' }, arch: 'x86_64', source, layout, client, progress: silentProgress, warn: (m) => notes.push(m) });
}

type Stamp = Record<string, [number, number, number, number]>;

/** What changes when the stamp is written anew (a temp file renamed over it). */
function stampId(): string {
  const st = lstatSync(join(treePath(layout, digest), STAMP_FILE));
  return `${st.ino}:${st.mtimeMs}:${st.ctimeMs}`;
}

function readStamp(): { stamp: Stamp; written: number } {
  const path = join(treePath(layout, digest), STAMP_FILE);
  return { stamp: JSON.parse(readFileSync(path, 'utf8')) as Stamp, written: lstatSync(path).mtimeMs };
}

describe('the stat stamp of a cached tree', () => {
  it('records every path of the tree, and is newer than every change it records', async () => {
    const [p] = await install();
    const { stamp, written } = readStamp();
    expect(Object.keys(stamp)).toEqual(expect.arrayContaining(['', 'package.manifest', 'README.md', 'sysroot', 'sysroot/usr', 'sysroot/usr/bin/true', 'sysroot/bin']));
    const st = lstatSync(join(p!.path, 'sysroot/usr/bin/true'));
    expect(stamp['sysroot/usr/bin/true']).toEqual([st.size, st.mtimeMs, st.ctimeMs, st.ino]);
    for (const [, , ctimeMs] of Object.values(stamp)) expect(ctimeMs).toBeLessThan(written);
    expect(stampHolds(treePath(layout, digest), 'redis_7.2.4')).toBe(true);
  });

  it('does not hold for an entry changed in the tick it was stamped in; the tree is re-hashed and stamped anew', async () => {
    await install();
    const { stamp } = readStamp();
    const stampPath = join(treePath(layout, digest), STAMP_FILE);
    // As if the stamp had been written in the same clock tick as the last change to its files.
    const newest = Math.max(...Object.values(stamp).map((e) => e[2]));
    utimesSync(stampPath, newest / 1000, Math.floor(newest) / 1000);
    expect(stampHolds(treePath(layout, digest), 'redis_7.2.4')).toBe(false);
    const [p] = await install();
    expect(p!.downloaded).toBe(false);
    expect(notes).toEqual([]);
    expect(stampHolds(treePath(layout, digest), 'redis_7.2.4')).toBe(true);
  });

  it('a missing or unreadable stamp makes the tree re-hashed, not rebuilt', async () => {
    await install();
    const stampPath = join(treePath(layout, digest), STAMP_FILE);
    rmSync(stampPath);
    await install();
    expect(stampHolds(treePath(layout, digest), 'redis_7.2.4')).toBe(true);
    chmodSync(stampPath, 0o644);
    writeFileSync(stampPath, '{"README.md": 3');
    await install();
    expect(stampHolds(treePath(layout, digest), 'redis_7.2.4')).toBe(true);
    expect(notes).toEqual([]);
    expect(reg.hits.blobs).toBe(1);
  });

  it('a removed file is noticed and put back', async () => {
    const [p] = await install();
    chmodSync(join(p!.path, 'sysroot/usr/bin'), 0o755);
    rmSync(join(p!.path, 'sysroot/usr/bin/true'));
    await install();
    expect(notes).toEqual(['the cached tree of library/redis@7.2.4 (x86_64) was damaged (sysroot/usr/bin/true is missing) and was rebuilt from the cached archive']);
    expect(readFileSync(join(p!.path, 'sysroot/usr/bin/true')).subarray(1, 4).toString()).toBe('ELF');
  });

  it('runs that find the same damaged tree at once rebuild it once, under the lock', async () => {
    const [p] = await install();
    const readme = join(p!.path, 'README.md');
    chmodSync(readme, 0o644);
    writeFileSync(readme, '# damaged\n');
    const all = await Promise.all([install(), install(), install()]);
    expect(new Set(all.map(([q]) => q!.path))).toEqual(new Set([p!.path]));
    expect(notes).toEqual(['the cached tree of library/redis@7.2.4 (x86_64) was damaged (README.md has 10 bytes, expected 8) and was rebuilt from the cached archive']);
    expect(readFileSync(readme, 'utf8')).toBe('# redis\n');
    expect(reg.hits.blobs).toBe(1);
  });

  it('rebuilds from a new download when the cached archive is gone', async () => {
    const [p] = await install();
    const readme = join(p!.path, 'README.md');
    chmodSync(readme, 0o644);
    writeFileSync(readme, '# damaged\n');
    rmSync(join(layout.archives, `${digest.slice(7)}.tar.gz`), { force: true });
    const [again] = await install();
    expect(again!.downloaded).toBe(true);
    expect(notes).toEqual(['the cached tree of library/redis@7.2.4 (x86_64) was damaged (README.md has 10 bytes, expected 8) and was rebuilt from a new download']);
    expect(readFileSync(readme, 'utf8')).toBe('# redis\n');
  });

  it('cache verify stamps anew an intact tree whose ctimes changed', async () => {
    const [p] = await install();
    const manifest = join(p!.path, 'package.manifest');
    chmodSync(manifest, 0o644);
    chmodSync(manifest, 0o444);
    expect(stampHolds(treePath(layout, digest), 'redis_7.2.4')).toBe(false);
    expect((await verifyCache(layout)).removed).toEqual([]);
    expect(stampHolds(treePath(layout, digest), 'redis_7.2.4')).toBe(true);
    expect(existsSync(p!.path)).toBe(true);
  });

  it('cache verify leaves a stamp that holds as it is, and a verified tree as old as it was for cache clean', async () => {
    const [p] = await install();
    const dir = treePath(layout, digest);
    const extracted = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(join(dir, COMPLETE_MARKER), extracted, extracted);
    utimesSync(dir, extracted, extracted);
    const id = stampId();
    expect((await verifyCache(layout)).removed).toEqual([]);
    expect(stampId()).toBe(id);
    // A stamp that no longer holds is rewritten, which moves the folder's mtime but not the tree's age.
    const manifest = join(p!.path, 'package.manifest');
    chmodSync(manifest, 0o644);
    chmodSync(manifest, 0o444);
    expect((await verifyCache(layout)).removed).toEqual([]);
    expect(stampId()).not.toBe(id);
    const report = await cleanCache(layout, 30 * 86_400_000, Date.now());
    expect(report.removed).toContainEqual({ kind: 'tree', what: 'library/redis@7.2.4 (x86_64)' });
    expect(existsSync(dir)).toBe(false);
  });

  it('a path that cannot be read is damage: the tree is rebuilt, not the get failed', async () => {
    const [p] = await install();
    const bin = join(p!.path, 'sysroot/usr/bin');
    chmodSync(join(p!.path, 'sysroot/usr'), 0o755);
    removeTree(bin);
    writeFileSync(bin, 'not a folder');
    await install();
    expect(notes).toEqual(['the cached tree of library/redis@7.2.4 (x86_64) was damaged (sysroot/usr/bin/true is unreadable (ENOTDIR)) and was rebuilt from the cached archive']);
    expect(readFileSync(join(bin, 'true')).subarray(1, 4).toString()).toBe('ELF');
  });

  // Root reads what chmod 000 forbids.
  it.skipIf(process.getuid?.() === 0)('a file or folder chmod 000 is rebuilt, and the tree removed despite it', async () => {
    const [p] = await install();
    chmodSync(join(p!.path, 'README.md'), 0o000);
    await install();
    chmodSync(join(p!.path, 'sysroot/usr'), 0o000);
    await install();
    expect(notes).toEqual([
      'the cached tree of library/redis@7.2.4 (x86_64) was damaged (README.md is unreadable (EACCES)) and was rebuilt from the cached archive',
      'the cached tree of library/redis@7.2.4 (x86_64) was damaged (sysroot/usr/bin is unreadable (EACCES)) and was rebuilt from the cached archive',
    ]);
    expect(readFileSync(join(p!.path, 'README.md'), 'utf8')).toBe('# redis\n');
    expect(readFileSync(join(p!.path, 'sysroot/usr/bin/true')).subarray(1, 4).toString()).toBe('ELF');
  });
});
