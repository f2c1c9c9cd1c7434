/**
 * The stamp of a cached tree: the stat data of its paths, which a warm get compares instead of
 * re-hashing the tree (see verifyTree in tree.ts for the hashing it spares).
 */
import { closeSync, fstatSync, lstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from './atomic.js';

/**
 * The stat data of every path of the tree when it was last known to match its index (see
 * stampHolds). A hint that spares a warm get the re-hashing, never a trust anchor: the sha256s
 * stay in the index, whose hash is in the marker.
 */
export const STAMP_FILE = '.stat.json';

/** Per path: what any write, chmod or replacement changes (a folder's mtime also moves when an entry comes or goes). */
type Stamp = Record<string, [size: number, mtimeMs: number, ctimeMs: number, ino: number]>;

/**
 * How long writeStamp waits, after its first write, for the disk's clock to tick; on a disk
 * with coarser timestamps the next get re-hashes once instead.
 */
const STAMP_TICK_WAIT_MS = 100;

/**
 * Writes the stamp atomically, and again until its own mtime is later than every ctime it
 * records, as git does with its index: a same-size rewrite within the tick of a recorded ctime
 * would leave every stat as it was, so stampHolds distrusts an entry not older than the stamp.
 * Waiting for the tick here (a few milliseconds) spares the next get from re-hashing the tree.
 * Not fsynced: a stamp lost in a crash costs one re-hash, while a slow fsync would eat the wait.
 */
export async function writeStamp(treeDir: string, stats: Map<string, Stats>): Promise<void> {
  const stamp: Stamp = {};
  let newest = 0;
  for (const [p, st] of stats) {
    stamp[p] = [st.size, st.mtimeMs, st.ctimeMs, st.ino];
    newest = Math.max(newest, st.ctimeMs);
  }
  const target = join(treeDir, STAMP_FILE);
  const text = JSON.stringify(stamp);
  writeFileAtomic(target, text, 0o444, { fsync: false });
  const giveUp = Date.now() + STAMP_TICK_WAIT_MS;
  while (lstatSync(target).mtimeMs <= newest && Date.now() < giveUp) {
    await sleep(1);
    writeFileAtomic(target, text, 0o444, { fsync: false });
  }
}

/**
 * Whether every path the stamp records still has the stat data recorded, which is what a warm
 * get checks instead of re-hashing: a few hundred lstat calls for a few hundred files. A missing
 * or unreadable stamp does not hold, nor does an entry whose ctime is not older than the stamp
 * (see writeStamp). An added or removed entry moves its folder's mtime.
 */
export function stampHolds(treeDir: string, top: string): boolean {
  // Concatenated, not join()ed: in a fresh process join() costs as much as the lstat it feeds.
  const root = `${join(treeDir, top)}/`;
  try {
    const fd = openSync(join(treeDir, STAMP_FILE), 'r');
    let written: number;
    let stamp: Stamp;
    try {
      written = fstatSync(fd).mtimeMs;
      stamp = JSON.parse(readFileSync(fd, 'utf8')) as Stamp;
    } finally {
      closeSync(fd);
    }
    for (const p in stamp) {
      const [size, mtimeMs, ctimeMs, ino] = stamp[p]!;
      if (ctimeMs >= written) return false;
      const st = lstatSync(root + p, { throwIfNoEntry: false });
      if (!st || st.size !== size || st.mtimeMs !== mtimeMs || st.ctimeMs !== ctimeMs || st.ino !== ino) return false;
    }
    return true;
  } catch {
    return false;
  }
}
