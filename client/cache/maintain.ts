import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listArchives, listTrees } from './inventory.js';
import { lockPath, type CacheLayout } from './layout.js';
import { DEFAULT_LOCK, withLock, type FileLockOptions } from './file-lock.js';
import { hashFile, readMarker, removeTree, verifyTree } from './tree.js';

export interface Problem {
  kind: 'archive' | 'tree';
  digest: string;
  problem: string;
}

export interface VerifyReport {
  archives: number;
  trees: number;
  removed: Problem[];
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Re-hashes every archive and every tree; what does not match its digest is removed, under
 * the digest's lock so that a concurrent `uni pkg get` never sees it half gone. The next get
 * fetches it again. A tree is checked under that lock too: an intact one gets a fresh stamp,
 * which must describe the files that were hashed and not a tree a get is rebuilding.
 */
export async function verifyCache(layout: CacheLayout, lock: FileLockOptions = DEFAULT_LOCK): Promise<VerifyReport> {
  const report: VerifyReport = { archives: 0, trees: 0, removed: [] };
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const a of listArchives(layout)) {
    report.archives++;
    const got = `sha256:${await hashFile(a.path, buf)}`;
    if (got !== a.digest) {
      await withLock(lockPath(layout, a.digest), async () => rmSync(a.path, { force: true }), lock);
      report.removed.push({ kind: 'archive', digest: a.digest, problem: `its bytes hash to ${got}` });
    }
  }
  for (const hex of entries(layout.trees)) {
    if (!/^[0-9a-f]{64}$/.test(hex)) continue;
    const digest = `sha256:${hex}`;
    report.trees++;
    const dir = join(layout.trees, hex);
    const problem = await withLock(
      lockPath(layout, digest),
      async () => {
        const found = await verifyTree(dir, digest);
        if (found) removeTree(dir);
        return found;
      },
      lock,
    );
    if (problem) report.removed.push({ kind: 'tree', digest, problem });
  }
  return report;
}

export interface CleanReport {
  removed: Array<{ kind: 'archive' | 'tree' | 'document'; what: string }>;
  bytes: number;
}

function sizeOf(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((n, e) => n + sizeOf(join(path, e)), 0);
}

/**
 * Removes archives, trees and package documents not written for `olderThanMs` (all of them
 * when null). The config file and its tokens stay.
 */
export async function cleanCache(layout: CacheLayout, olderThanMs: number | null, now: number, lock: FileLockOptions = DEFAULT_LOCK): Promise<CleanReport> {
  const report: CleanReport = { removed: [], bytes: 0 };
  const old = (mtimeMs: number): boolean => olderThanMs === null || now - mtimeMs > olderThanMs;
  for (const t of listTrees(layout)) {
    if (!old(t.mtimeMs)) continue;
    await withLock(lockPath(layout, t.digest), async () => {
      if (!readMarker(t.dir, t.digest)) return;
      report.bytes += sizeOf(t.dir);
      removeTree(t.dir);
      report.removed.push({ kind: 'tree', what: `${t.name}@${t.version} (${t.arch})` });
    }, lock);
  }
  for (const a of listArchives(layout)) {
    if (!old(a.mtimeMs)) continue;
    await withLock(lockPath(layout, a.digest), async () => {
      report.bytes += a.size;
      rmSync(a.path, { force: true });
      report.removed.push({ kind: 'archive', what: a.digest });
    }, lock);
  }
  for (const host of entries(layout.docs)) {
    for (const ns of entries(join(layout.docs, host))) {
      for (const file of entries(join(layout.docs, host, ns))) {
        const p = join(layout.docs, host, ns, file);
        const st = statSync(p, { throwIfNoEntry: false });
        if (!st || !old(st.mtimeMs)) continue;
        report.bytes += st.size;
        rmSync(p, { force: true });
        report.removed.push({ kind: 'document', what: `${host}/${ns}/${file.replace(/\.json$/, '')}` });
      }
    }
  }
  return report;
}
