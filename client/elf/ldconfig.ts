/**
 * The folders /etc/ld.so.conf lists, with its `include` globs expanded, read inside a root.
 * The loader itself reads /etc/ld.so.cache, which ldconfig builds from these same folders;
 * reading the configuration instead works for a foreign sysroot whose cache was never built.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { hostPath, normalizeGuestPath, realGuestPath } from './rootfs.js';

export const DEFAULT_LD_SO_CONF = '/etc/ld.so.conf';

/** Includes nest; a loop of includes is cut here rather than followed for ever. */
const MAX_INCLUDE_DEPTH = 16;

const GLOB_CHARS = /[*?[]/;

/** Guest paths matching `pattern` (absolute), sorted as glibc's glob sorts them. */
export function globInRoot(root: string, pattern: string): string[] {
  let matches = ['/'];
  for (const seg of normalizeGuestPath(pattern).split('/').filter((s) => s !== '')) {
    const next: string[] = [];
    for (const dir of matches) {
      if (!GLOB_CHARS.test(seg)) {
        next.push(path.posix.join(dir, seg));
        continue;
      }
      const real = realGuestPath(root, dir);
      if (real === null) continue;
      let names: string[];
      try {
        names = readdirSync(hostPath(root, real));
      } catch {
        continue;
      }
      const isMatch = picomatch(seg, { dot: false });
      for (const name of names.filter((n) => isMatch(n)).sort()) next.push(path.posix.join(dir, name));
    }
    matches = next;
  }
  return matches.filter((m) => realGuestPath(root, m) !== null);
}

function readConf(root: string, confPath: string, depth: number, seen: Set<string>, out: string[]): void {
  if (depth > MAX_INCLUDE_DEPTH || seen.has(confPath)) return;
  seen.add(confPath);
  const real = realGuestPath(root, confPath);
  if (real === null) return;
  let text: string;
  try {
    text = readFileSync(hostPath(root, real), 'utf8');
  } catch {
    return;
  }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const words = line.split(/\s+/);
    if (words[0] === 'include' && words.length > 1) {
      for (const pattern of words.slice(1)) {
        // ldconfig reads a relative include against the folder of the file that names it.
        const abs = pattern.startsWith('/') ? pattern : path.posix.join(path.posix.dirname(confPath), pattern);
        for (const file of globInRoot(root, abs)) readConf(root, file, depth + 1, seen, out);
      }
      continue;
    }
    if (words[0] === 'hwcap') continue;
    // "dir=TYPE" is ldconfig's old spelling of a folder with a library type.
    const dir = line.replace(/=.*$/, '').trim();
    if (dir.startsWith('/')) {
      const norm = normalizeGuestPath(dir);
      if (!out.includes(norm)) out.push(norm);
    }
  }
}

/** The library folders of ld.so.conf in the order ldconfig visits them. */
export function ldSoConfDirs(root: string, confPath: string = DEFAULT_LD_SO_CONF): string[] {
  const out: string[] = [];
  readConf(root, normalizeGuestPath(confPath), 0, new Set(), out);
  return out;
}
