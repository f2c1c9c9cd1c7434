/**
 * Copies guest paths from a root folder into a package's sysroot/ at the same paths.
 *
 * Symbolic links to files stay links (libz.so.1 -> libz.so.1.2.13, both laid), so the guest
 * sees what the host has. Folders are always laid as real folders, even when the host
 * reaches them through a link (/lib -> usr/lib on merged-/usr systems): two packages that
 * both put files under /lib then merge folder with folder, never folder with link.
 */
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { UniError } from '../../protocol/errors.js';
import { hostPath, lstatGuest, normalizeGuestPath, realGuestPath } from '../elf/rootfs.js';

export class SysrootWriter {
  private readonly laid = new Set<string>();

  /**
   * @param root the folder the guest paths are read from (`/` for this machine)
   * @param sysroot the package's sysroot/ folder being written
   */
  constructor(
    private readonly root: string,
    private readonly sysroot: string,
  ) {}

  /** Guest paths written so far, sorted. */
  paths(): string[] {
    return [...this.laid].sort();
  }

  /**
   * Lays `guestPath` (a file, a link and what it points to, or a whole folder) and returns
   * the guest path of the file or folder it finally names, links followed.
   */
  lay(guestPath: string): string {
    const g = normalizeGuestPath(guestPath);
    const found = lstatGuest(this.root, g);
    if (!found) throw new UniError('not_found', `${g} does not exist${this.root === '/' ? '' : ` under ${this.root}`}`);
    const { stats, realParent } = found;
    const dest = path.join(this.sysroot, g);
    if (stats.isSymbolicLink()) {
      const real = realGuestPath(this.root, g);
      if (real !== null && lstatGuest(this.root, real)?.stats.isDirectory()) return this.layDir(g, real);
      const { text, points } = this.linkTarget(g, realParent);
      if (!this.laid.has(g)) {
        this.laid.add(g);
        mkdirSync(path.dirname(dest), { recursive: true });
        symlinkSync(text, dest);
      }
      // A dangling link is kept as the host has it; the archive rules still hold it inside.
      return real === null ? g : this.lay(points);
    }
    if (stats.isDirectory()) return this.layDir(g, path.posix.join(realParent, path.posix.basename(g)));
    if (!stats.isFile()) {
      throw new UniError('unsupported_file', `${g} is neither a file, a folder nor a symbolic link; a package can hold only those`);
    }
    if (!this.laid.has(g)) {
      this.laid.add(g);
      mkdirSync(path.dirname(dest), { recursive: true });
      copyFileSync(hostPath(this.root, path.posix.join(realParent, path.posix.basename(g))), dest);
      chmodSync(dest, stats.mode & 0o777);
    }
    return g;
  }

  /** The folder `g`, with the content of the host folder `real` (the same, or a link's target). */
  private layDir(g: string, real: string): string {
    if (this.laid.has(g)) return g;
    this.laid.add(g);
    mkdirSync(path.join(this.sysroot, g), { recursive: true });
    for (const name of readdirSync(hostPath(this.root, real)).sort()) this.lay(path.posix.join(g, name));
    return g;
  }

  /**
   * What the link at `g` should say in the sysroot, and the guest path it names. Absolute
   * targets are image paths and stay as written; a relative target climbing with `..` is
   * re-aimed from the link's real folder, since its folders may have been links on the host.
   */
  private linkTarget(g: string, realParent: string): { text: string; points: string } {
    const raw = readlinkSync(hostPath(this.root, path.posix.join(realParent, path.posix.basename(g))));
    if (raw.startsWith('/')) return { text: raw, points: normalizeGuestPath(raw) };
    const dir = path.posix.dirname(g);
    if (!raw.split('/').includes('..')) return { text: raw, points: normalizeGuestPath(path.posix.join(dir, raw)) };
    const points = normalizeGuestPath(path.posix.join(realParent, raw));
    return { text: path.posix.relative(dir, points) || '.', points };
  }
}
