import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CacheLayout } from './layout.js';
import { COMPLETE_MARKER, readMarker, type TreeMarker } from './tree.js';

export interface CachedTree extends TreeMarker {
  /** The extracted top folder. */
  path: string;
  /** The tree's folder under trees/sha256/. */
  dir: string;
  /**
   * When the tree was extracted: its marker's mtime, written once. Not the folder's, which
   * moves whenever the stamp is rewritten, so that a checked tree would never grow old.
   */
  mtimeMs: number;
}

function names(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Complete trees only; temp folders and trees without a valid marker are not packages. */
export function listTrees(layout: CacheLayout): CachedTree[] {
  const out: CachedTree[] = [];
  for (const hex of names(layout.trees)) {
    if (!/^[0-9a-f]{64}$/.test(hex)) continue;
    const dir = join(layout.trees, hex);
    const marker = readMarker(dir, `sha256:${hex}`);
    if (marker) out.push({ ...marker, path: join(dir, marker.top), dir, mtimeMs: statSync(join(dir, COMPLETE_MARKER)).mtimeMs });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version) || a.arch.localeCompare(b.arch));
}

export interface CachedArchive {
  digest: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export function listArchives(layout: CacheLayout): CachedArchive[] {
  const out: CachedArchive[] = [];
  for (const n of names(layout.archives)) {
    const m = /^([0-9a-f]{64})\.tar\.gz$/.exec(n);
    if (!m) continue;
    const path = join(layout.archives, n);
    const st = statSync(path);
    out.push({ digest: `sha256:${m[1]}`, path, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out;
}
