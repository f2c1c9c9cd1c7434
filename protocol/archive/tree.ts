/**
 * The state one archive read keeps about the entries seen so far: the top folder, what each
 * path is, and the running totals the limits apply to. Catches what a single entry cannot
 * show: a second top folder, a path given twice, and an entry placed under a link (which
 * would let an extractor write through the link, outside the tree).
 */
import { UniError } from '../errors.js';
import {
  badEntry,
  checkEntryCount,
  checkTreeBytes,
  checkUnpackedSize,
  entrySegments,
  entryType,
  resolveLinkTarget,
  type TarHeader,
} from './rules.js';
import { LinkGraph } from './links.js';
import type { ArchiveEntry, ArchiveLimits, FileType } from './types.js';

const MAX_LINK_HOPS = 40;
/** What a Map entry costs beside its key, roughly, for `maxTreeBytes`. */
const ENTRY_OVERHEAD = 64;

export class ArchiveTree {
  topFolder: string | null = null;
  entryCount = 0;
  unpackedBytes = 0;
  private treeBytes = 0;
  private readonly kinds = new Map<string, FileType>();
  /** Symbolic link path → its target resolved relative to the top folder. */
  private readonly links = new Map<string, string>();
  private readonly graph = new LinkGraph();

  constructor(private readonly limits: ArchiveLimits) {}

  /** Checks one header against every rule; returns the entry relative to the top folder. */
  accept(header: TarHeader): ArchiveEntry {
    this.entryCount += 1;
    checkEntryCount(this.entryCount, this.limits, header.name);
    const type = entryType(header);
    const segments = entrySegments(header.name, this.limits);
    if (this.topFolder === null) {
      if (segments.length === 1 && type !== 'dir') {
        throw badEntry(header.name, 'is not inside a top folder; an archive holds one folder <name>_<version>/');
      }
      this.topFolder = segments[0]!;
    } else if (segments[0] !== this.topFolder) {
      throw badEntry(header.name, `is outside the top folder "${this.topFolder}/"; an archive has exactly one top folder`);
    }
    const rel = segments.slice(1);
    const mode = (header.mode ?? (type === 'dir' ? 0o755 : 0o644)) & 0o777;
    if (rel.length === 0) {
      if (type !== 'dir') throw badEntry(header.name, 'has the name of the top folder but is not a folder');
      return { path: '', type, mode, size: 0 };
    }
    const path = rel.join('/');
    this.checkParents(header.name, path);
    const previous = this.kinds.get(path);
    if (previous !== undefined && !(previous === 'dir' && type === 'dir')) {
      throw badEntry(header.name, 'appears twice in the archive');
    }
    if (previous === undefined) this.remember(header.name, path, type);
    if (type === 'symlink') {
      const target = header.linkname ?? '';
      this.links.set(path, resolveLinkTarget(header.name, rel.slice(0, -1), target, this.limits));
      this.graph.add(header.name, rel, target);
      return { path, type, mode, size: 0, linkTarget: target };
    }
    if (type === 'dir') return { path, type, mode, size: 0 };
    const size = header.size ?? 0;
    this.unpackedBytes += size;
    checkUnpackedSize(this.unpackedBytes, this.limits, header.name);
    return { path, type, mode, size };
  }

  /**
   * Deepest parent first, stopping at the first one known as a folder: every folder above a
   * known one was checked when it became known, so a path costs only the folders it adds.
   */
  private checkParents(name: string, path: string): void {
    for (let end = path.lastIndexOf('/'); end > 0; end = path.lastIndexOf('/', end - 1)) {
      const parent = path.slice(0, end);
      const kind = this.kinds.get(parent);
      if (kind === 'dir') return;
      if (kind === 'symlink') throw badEntry(name, `lies under the symbolic link "${this.topFolder}/${parent}"`);
      if (kind === 'file') throw badEntry(name, `lies under the regular file "${this.topFolder}/${parent}"`);
      this.remember(name, parent, 'dir');
    }
  }

  private remember(name: string, path: string, kind: FileType): void {
    this.treeBytes += path.length + ENTRY_OVERHEAD;
    checkTreeBytes(this.treeBytes, this.limits, name);
    this.kinds.set(path, kind);
  }

  /** After the last entry: checks the links again, each followed through all the others. */
  finish(): void {
    this.graph.finish();
  }

  typeOf(path: string): FileType | undefined {
    return this.kinds.get(path);
  }

  /**
   * Follows symbolic links inside the archive, in any component of `path`. Returns the path
   * of what it finally names, or null when that is not in the archive.
   */
  resolve(path: string): string | null {
    let segments = path.split('/').filter((s) => s !== '');
    for (let hops = 0; hops <= MAX_LINK_HOPS; hops += 1) {
      let replaced = false;
      for (let i = 1; i <= segments.length; i += 1) {
        const prefix = segments.slice(0, i).join('/');
        const target = this.links.get(prefix);
        if (target !== undefined) {
          segments = [...target.split('/'), ...segments.slice(i)];
          replaced = true;
          break;
        }
      }
      if (!replaced) {
        const joined = segments.join('/');
        return this.kinds.has(joined) ? joined : null;
      }
    }
    throw new UniError('bad_archive', `symbolic links in the archive loop or nest deeper than ${MAX_LINK_HOPS} at "${path}"`);
  }
}
