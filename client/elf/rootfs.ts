/**
 * Paths of a guest's filesystem looked up inside a root folder on the host, as chroot would:
 * absolute link targets restart at the root and `..` never climbs above it. With root `/`
 * this is the host itself; tests and `--root` point it at a copied or foreign sysroot.
 */
import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { UniError } from '../../protocol/errors.js';

/** The kernel gives up after 40 links in one lookup (ELOOP); so do we. */
const MAX_LINKS = 40;

/** `/a/./b/../c/` becomes `/a/c`; never above `/`. */
export function normalizeGuestPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/');
}

/** Where a guest path lives on the host, without following anything. */
export function hostPath(root: string, guestPath: string): string {
  return path.join(root, normalizeGuestPath(guestPath));
}

function lstatOrNull(p: string): Stats | null {
  try {
    return lstatSync(p);
  } catch {
    return null;
  }
}

/**
 * Follows every symbolic link of `guestPath` inside `root` and returns the real guest path,
 * or null when some part of it does not exist or a link is dangling.
 */
export function realGuestPath(root: string, guestPath: string): string | null {
  let pending = normalizeGuestPath(guestPath).split('/').filter((s) => s !== '');
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const seg = pending.shift()!;
    if (seg === '.') continue;
    if (seg === '..') {
      done.pop();
      continue;
    }
    const candidate = '/' + [...done, seg].join('/');
    const st = lstatOrNull(hostPath(root, candidate));
    if (!st) return null;
    if (!st.isSymbolicLink()) {
      done.push(seg);
      continue;
    }
    if (++links > MAX_LINKS) {
      throw new UniError('symlink_loop', `too many levels of symbolic links at ${candidate}`);
    }
    const target = readlinkSync(hostPath(root, candidate));
    const targetSegs = target.split('/').filter((s) => s !== '');
    if (target.startsWith('/')) done.length = 0;
    pending = [...targetSegs, ...pending];
  }
  return '/' + done.join('/');
}

/** lstat of the guest path's last component, its folders resolved first. */
export function lstatGuest(root: string, guestPath: string): { stats: Stats; realParent: string } | null {
  const norm = normalizeGuestPath(guestPath);
  if (norm === '/') {
    const st = lstatOrNull(root);
    return st ? { stats: st, realParent: '/' } : null;
  }
  const realParent = realGuestPath(root, path.posix.dirname(norm));
  if (realParent === null) return null;
  const st = lstatOrNull(hostPath(root, path.posix.join(realParent, path.posix.basename(norm))));
  return st ? { stats: st, realParent } : null;
}
