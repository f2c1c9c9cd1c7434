import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  readSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join, relative } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { UniError } from '../../protocol/errors.js';
import type { ArchiveEntry, ArchiveVisitor, FileIndexEntry } from '../../protocol/archive/types.js';
import { stampHolds, writeStamp } from './stamp.js';

/** Written last into a tree; a tree without a valid one is never trusted. */
export const COMPLETE_MARKER = '.complete';
/** The file index of the tree (path, type, mode, size, sha256, link), for re-hashing it (verifyTree). */
export const INDEX_FILE = '.index.json';

/** Small on purpose: a warm `uni pkg get` reads this and the stamp, never the index. */
export interface TreeMarker {
  digest: string;
  /** `namespace/name`, version and architecture the archive was fetched as, for `uni pkg list`. */
  name: string;
  version: string;
  arch: string;
  /** The archive's top folder (`redis_7.2.4`), inside the tree folder. */
  top: string;
  /** sha256 of INDEX_FILE's bytes. */
  indexSha256: string;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function writeReadOnly(path: string, text: string): void {
  const fd = openSync(path, 'wx', 0o444);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** Files and folders lose their write bits: a package tree is shared by every project that uses it. */
const READ_ONLY = 0o555;

/** The top folder's name is known only once the whole archive is read; it is written here meanwhile. */
const STAGING_TOP = '.top';

/**
 * Writes an archive's entries below `dest` with synchronous calls as the reader hands them
 * over. Symbolic links are created last, so that no entry is ever written through a link the
 * archive itself planted (a link to `/usr/lib` must not send later files onto the host), and
 * every folder on the way to an entry is checked to be a real folder (see ensureFolder).
 */
export class TreeWriter implements ArchiveVisitor {
  private fd: number | null = null;
  private readonly files: FileIndexEntry[] = [];
  private readonly dirs: Array<{ path: string; mode: number }> = [];
  private readonly links: Array<{ path: string; target: string }> = [];
  private readonly root: string;
  /** Folders ensureFolder has seen to be real ones. */
  private readonly folders = new Set<string>();

  constructor(private readonly dest: string) {
    this.root = join(dest, STAGING_TOP);
    mkdirSync(this.root, { recursive: true });
  }

  entry(e: ArchiveEntry): void {
    if (e.type === 'dir') {
      ensureFolder(this.root, e.path, e.path, this.folders);
      this.dirs.push({ path: e.path, mode: e.mode });
    } else if (e.type === 'symlink') {
      this.links.push({ path: e.path, target: e.linkTarget ?? '' });
    } else {
      ensureFolder(this.root, parentOf(e.path), e.path, this.folders);
      this.fd = openFresh(join(this.root, e.path), (e.mode & READ_ONLY) | 0o400);
    }
  }

  onData(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) off += writeSync(this.fd!, chunk, off, chunk.length - off);
  }

  onEnd(file: FileIndexEntry): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    this.files.push(file);
  }

  /**
   * Links, the top folder's real name, the marker, read-only folders, then the stamp: after
   * this the tree is ready to be renamed into place.
   */
  async finish(about: Pick<TreeMarker, 'digest' | 'name' | 'version' | 'arch'>, top: string): Promise<TreeMarker> {
    for (const l of this.links) {
      // A link made earlier in this loop may be a folder of this one's path on a disk that
      // ignores case (`R -> /`, then `r/tmp/evil`): ensureFolder refuses to go through it.
      ensureFolder(this.root, parentOf(l.path), l.path, this.folders);
      symlinkSync(l.target, join(this.root, l.path));
    }
    const root = join(this.dest, top);
    renameSync(this.root, root);
    const index = JSON.stringify(this.files);
    writeReadOnly(join(this.dest, INDEX_FILE), index);
    const marker: TreeMarker = { ...about, top, indexSha256: sha256(index) };
    writeReadOnly(join(this.dest, COMPLETE_MARKER), JSON.stringify(marker));
    // Folders the archive implies without listing them become read-only too.
    const modes = new Map<string, number>();
    for (const f of this.files) {
      for (let i = f.path.indexOf('/'); i > 0; i = f.path.indexOf('/', i + 1)) modes.set(f.path.slice(0, i), 0o755);
    }
    for (const d of this.dirs) modes.set(d.path, d.mode);
    for (const [path, mode] of modes) chmodSync(join(root, path), (mode & READ_ONLY) | 0o500);
    chmodSync(root, READ_ONLY);
    const stats = new Map<string, Stats>();
    for (const p of treePaths(this.files)) stats.set(p, lstatSync(join(root, p)));
    await writeStamp(this.dest, stats);
    return marker;
  }

  /** After a failure: closes what is open; the caller removes the folder. */
  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function parentOf(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf('/')));
}

/**
 * Makes `rel` (relative to `root`, `/`-separated) a real folder, walking from `root` one
 * component at a time with lstat and creating only what is missing; `entry` is the archive
 * entry being written, for the error. A component that is a symbolic link is refused: the
 * archive's checks compare paths case-sensitively, but on macOS or Windows `r` is the link
 * `R` that the archive planted, and writing through it would leave the cache. `known` holds
 * folders already walked: a real folder cannot become a link later (creating a link where
 * anything exists fails), so each is looked at once.
 */
export function ensureFolder(root: string, rel: string, entry: string, known: Set<string>): void {
  if (rel === '' || known.has(rel)) return;
  let prefix = '';
  for (const seg of rel.split('/')) {
    prefix = prefix === '' ? seg : `${prefix}/${seg}`;
    if (known.has(prefix)) continue;
    const path = join(root, prefix);
    try {
      mkdirSync(path, 0o755);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = lstatSync(path);
      if (st.isSymbolicLink()) {
        throw new UniError('bad_archive', `archive entry "${entry}" would be written through "${prefix}", which is a symbolic link on this disk (names that differ only in case are one name here)`);
      }
      if (!st.isDirectory()) throw new UniError('bad_archive', `archive entry "${entry}" would be written under "${prefix}", which is not a folder`);
    }
    known.add(prefix);
  }
}

function openFresh(path: string, mode: number): number {
  try {
    // O_EXCL: a second entry for the same path, or anything already there, is an error, never an overwrite.
    return openSync(path, 'wx', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UniError('bad_archive', `the archive holds "${path}" twice`);
    }
    throw e;
  }
}

/** The marker, or null when absent, unreadable or for another digest: such a tree is not to be trusted. */
export function readMarker(treeDir: string, digest: string): TreeMarker | null {
  try {
    const m = JSON.parse(readFileSync(join(treeDir, COMPLETE_MARKER), 'utf8')) as TreeMarker;
    return m.digest === digest && typeof m.top === 'string' && typeof m.indexSha256 === 'string' ? m : null;
  } catch {
    return null;
  }
}

/**
 * How long hashing runs before it lets the event loop turn. Re-hashing holds the digest's lock,
 * which only a timer keeps alive (lock.ts): a tree hashed in one synchronous stretch longer
 * than the lock's stale age would be taken from under this process, and the new holder would
 * remove it as leftovers.
 */
const TURN_EVERY_MS = 50;

/** Lets timers run whenever `turnEveryMs` have passed since the last time it did. */
function pacer(turnEveryMs = TURN_EVERY_MS): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < turnEveryMs) return;
    await nextTurn();
    last = performance.now();
  };
}

/**
 * The file's sha256 in hex, read through `buf` (a caller hashing many files passes one buffer
 * for all) and `pace`d between chunks (one pacer for many files keeps the turns evenly spaced).
 */
export async function hashFile(path: string, buf: Buffer = Buffer.allocUnsafe(1 << 20), pace = pacer()): Promise<string> {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    let n: number;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) {
      h.update(buf.subarray(0, n));
      await pace();
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/**
 * Re-hashes every file of a tree against its marker. Returns the first problem found, or null
 * when the tree is exactly what the archive held; then the stamp is written anew if it no
 * longer holds, so that the next warm get trusts the tree without hashing it. Called under the
 * digest's lock.
 */
export async function verifyTree(treeDir: string, digest: string, turnEveryMs = TURN_EVERY_MS): Promise<string | null> {
  const marker = readMarker(treeDir, digest);
  if (!marker) return 'no valid completion marker';
  let files: FileIndexEntry[];
  try {
    const index = readFileSync(join(treeDir, INDEX_FILE));
    if (sha256(index) !== marker.indexSha256) return 'the file index does not match its hash';
    files = JSON.parse(index.toString('utf8')) as FileIndexEntry[];
  } catch {
    return 'the file index is missing or unreadable';
  }
  // `uni cache verify` checks trees whose stamp holds: rewriting it would cost a write, and
  // perhaps a wait for the clock's tick, for nothing.
  const stamped = stampHolds(treeDir, marker.top);
  const root = join(treeDir, marker.top);
  const stats = new Map<string, Stats>();
  let problem: string | null;
  try {
    problem = await compareTree(root, marker.top, files, stats, pacer(turnEveryMs));
  } catch (e) {
    const { errno, code, path } = e as NodeJS.ErrnoException;
    if (typeof errno !== 'number') throw e;
    // A path the check cannot read (a chmod 000, an entry removed meanwhile) is damage like
    // any other: the tree is rebuilt instead of the get failing.
    return `${relative(root, path ?? root) || marker.top} is unreadable (${code})`;
  }
  if (problem) return problem;
  if (!stamped) await writeStamp(treeDir, stats);
  return null;
}

/** The first difference between the tree at `root` and its index; fills `stats` for the stamp. */
async function compareTree(root: string, top: string, files: FileIndexEntry[], stats: Map<string, Stats>, pace: () => Promise<void>): Promise<string | null> {
  const expected = treePaths(files);
  // Taken before any byte is hashed: a file changed while it is hashed then no longer matches the stamp.
  for (const p of expected) {
    const st = lstatSync(join(root, p), { throwIfNoEntry: false });
    if (!st) return `${p || top} is missing`;
    stats.set(p, st);
  }
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const f of files) {
    if (f.path === '' || f.path === '.') continue;
    const st = stats.get(f.path)!;
    const p = join(root, f.path);
    if (f.type === 'file') {
      if (!st.isFile()) return `${f.path} is not a regular file`;
      if (st.size !== f.size) return `${f.path} has ${st.size} bytes, expected ${f.size}`;
      if ((await hashFile(p, buf, pace)) !== f.sha256) return `${f.path} does not match its sha256`;
    } else if (f.type === 'dir') {
      if (!st.isDirectory()) return `${f.path} is not a folder`;
    } else if (!st.isSymbolicLink() || readlinkSync(p) !== f.linkTarget) {
      return `${f.path} is not the expected link`;
    }
  }
  const extra = findExtra(root, '', expected);
  return extra ? `${extra} is not part of the package` : null;
}

/** The top folder (''), every entry of the index and the folders it implies without listing them. */
function treePaths(files: FileIndexEntry[]): Set<string> {
  const paths = new Set<string>(['']);
  for (const f of files) {
    if (f.path === '' || f.path === '.') continue;
    for (let i = f.path.indexOf('/'); i > 0; i = f.path.indexOf('/', i + 1)) paths.add(f.path.slice(0, i));
    paths.add(f.path);
  }
  return paths;
}

function findExtra(root: string, rel: string, expected: Set<string>): string | null {
  for (const d of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${d.name}` : d.name;
    if (!expected.has(p)) return p;
    if (d.isDirectory()) {
      const found = findExtra(root, p, expected);
      if (found) return found;
    }
  }
  return null;
}

/** Read-only folders cannot be emptied: give the write bit back first. */
export function removeTree(path: string): void {
  const restore = (p: string): void => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (!st.isDirectory()) return;
    chmodSync(p, 0o755);
    for (const name of readdirSync(p)) restore(join(p, name));
  };
  restore(path);
  rmSync(path, { recursive: true, force: true });
}
