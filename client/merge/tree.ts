import { UniError } from '../../protocol/errors.js';
import type { Entry } from './scan.js';

/** Who put an entry in the image: a package (`library/app@1.0.0`) or the project's config. */
export interface Origin {
  label: string;
  /** Canonical package name; absent for the user's own files, which win over any package's. */
  package?: string;
  /** A file uni writes as ops does (resolv.conf, passwd): the user's own files replace it. */
  generated?: true;
}

export type FileNode = Extract<Entry, { kind: 'file' }> & { origin: Origin };
export type LinkNode = Extract<Entry, { kind: 'symlink' }> & { origin: Origin };
export interface DirNode {
  kind: 'dir';
  children: Map<string, ImageNode>;
  origin: Origin;
}
export type ImageNode = FileNode | LinkNode | DirNode;

const ROOT_ORIGIN: Origin = { label: 'the image root' };

export function emptyRoot(): DirNode {
  return { kind: 'dir', children: new Map(), origin: ROOT_ORIGIN };
}

/** `/a//b/` and `a/b` are `['a', 'b']`; `..` cannot climb out of the image. */
export function splitImagePath(path: string, what: string): string[] {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) throw new UniError('bad_path', `${what}: "${path}" climbs above the image's root`);
      parts.pop();
    } else parts.push(part);
  }
  return parts;
}

export function joinImagePath(parts: readonly string[]): string {
  return `/${parts.join('/')}`;
}

function kindName(node: { kind: string }): string {
  return node.kind === 'dir' ? 'a folder' : node.kind === 'symlink' ? 'a symbolic link' : 'a file';
}

function sameContent(a: ImageNode, b: ImageNode): boolean {
  if (a.kind === 'file' && b.kind === 'file') return a.sha256 === b.sha256 && a.mode === b.mode;
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.target === b.target;
  return false;
}

/** `0755`: how modes are written in messages and in the JSON manifest. */
export function octalMode(mode: number): string {
  return `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
}

function conflict(path: string, had: ImageNode, now: ImageNode): never {
  const differ =
    had.kind !== now.kind
      ? `as ${kindName(had)} and as ${kindName(now)}`
      : had.kind === 'file' && now.kind === 'file' && had.sha256 === now.sha256
        ? `with the same bytes but different modes (${octalMode(had.mode)} and ${octalMode(now.mode)}), and a mode decides what may run`
        : 'with different contents';
  throw new UniError(
    'merge_conflict',
    `${path} is provided by ${had.origin.label} and by ${now.origin.label} ${differ}; remove it from one of them, or place your own copy with Files or MapDirs`,
  );
}

/**
 * Adds one entry at `parts`, creating parent folders. The same path twice is fine when the
 * bytes (and mode) or the link target agree; otherwise the user's files replace a package's,
 * and two packages, or two of the user's own sources, are a conflict named in full.
 */
export function place(root: DirNode, parts: readonly string[], entry: Entry, origin: Origin): void {
  if (parts.length === 0) {
    if (entry.kind === 'dir') return;
    throw new UniError('bad_path', `${origin.label} would replace the image's root folder with ${kindName(entry)}`);
  }
  let dir = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const name = parts[i]!;
    const next = dir.children.get(name);
    if (next === undefined) {
      const created: DirNode = { kind: 'dir', children: new Map(), origin };
      dir.children.set(name, created);
      dir = created;
    } else if (next.kind === 'dir') {
      dir = next;
    } else {
      conflict(joinImagePath(parts.slice(0, i + 1)), next, { kind: 'dir', children: new Map(), origin });
    }
  }
  const name = parts[parts.length - 1]!;
  const had = dir.children.get(name);
  const node: ImageNode = entry.kind === 'dir' ? { kind: 'dir', children: new Map(), origin } : { ...entry, origin };
  if (had === undefined) {
    dir.children.set(name, node);
    return;
  }
  if (had.kind === 'dir' && node.kind === 'dir') return;
  if (sameContent(had, node)) return;
  const userOverPackage = origin.package === undefined && (had.origin.package !== undefined || had.origin.generated === true);
  if (userOverPackage && had.kind !== 'dir' && node.kind !== 'dir') {
    dir.children.set(name, node);
    return;
  }
  conflict(joinImagePath(parts), had, node);
}

/** `..` at the root stays at the root, as in any Unix file system. */
function linkParts(parent: readonly string[], target: string): string[] {
  const out = target.startsWith('/') ? [] : [...parent];
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

/** The node at `parts`, following symbolic links inside the image as the kernel would. */
export function lookup(root: DirNode, parts: readonly string[]): ImageNode | undefined {
  let pending = [...parts];
  let walked: string[] = [];
  let node: ImageNode = root;
  let hops = 0;
  while (pending.length > 0) {
    if (node.kind !== 'dir') return undefined;
    const name = pending.shift()!;
    const child = node.children.get(name);
    if (child === undefined) return undefined;
    if (child.kind === 'symlink') {
      if (++hops > 40) return undefined;
      pending = [...linkParts(walked, child.target), ...pending];
      walked = [];
      node = root;
      continue;
    }
    walked.push(name);
    node = child;
  }
  return node;
}
