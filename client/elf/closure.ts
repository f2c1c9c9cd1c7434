/**
 * Finds every shared library a program loads at start, as the dynamic loader (glibc's
 * ld.so) would: breadth first over DT_NEEDED, each name searched in RPATH (when the object
 * has no RUNPATH), LD_LIBRARY_PATH, RUNPATH, the ld.so.conf folders, then the default
 * folders. Nothing is run, so the program may be for another CPU, or hostile.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { ELF_IDENT_BYTES } from '../../protocol/archive/elf-header.js';
import { UniError } from '../../protocol/errors.js';
import type { Arch } from '../../protocol/names.js';
import { ldSoConfDirs, DEFAULT_LD_SO_CONF } from './ldconfig.js';
import { bufferSource, identify, readElfFile, type ElfObject } from './reader.js';
import { hostPath, lstatGuest, normalizeGuestPath, realGuestPath } from './rootfs.js';

export interface LoaderEnv {
  /** The guest's root folder on the host: `/` for this machine. */
  root: string;
  /** LD_LIBRARY_PATH as the loader would see it (colon- or semicolon-separated). */
  ldLibraryPath?: string;
  /** Guest path of the loader's configuration. */
  ldSoConf?: string;
}

export interface LoadedObject {
  /** The name the loader looked for (DT_NEEDED, or the interpreter's path). */
  name: string;
  /** Guest path where it was found, as the loader names it (links not followed). */
  path: string;
  /** Guest path with every symbolic link followed. */
  realPath: string;
  /** Guest path of the object whose DT_NEEDED asked for it; absent for the interpreter. */
  neededBy?: string;
  elf: ElfObject;
}

export interface Closure {
  program: LoadedObject;
  interpreter?: LoadedObject;
  /** Every library, the interpreter excepted, in the order the loader maps them. */
  libraries: LoadedObject[];
  /** The shared objects given as opened at run time (dlopen), their own needs in `libraries`. */
  dlopened: LoadedObject[];
  /** Libraries that dlopened objects need but that are nowhere: those modules would fail to load. */
  missing: MissingLibrary[];
}

export interface MissingLibrary {
  name: string;
  neededBy: string;
  message: string;
}

/** Debian's multiarch folders first, then the lib64 of other distributions, as ld.so --help lists. */
export function defaultLibraryDirs(arch: Arch): string[] {
  const triplet = arch === 'x86_64' ? 'x86_64-linux-gnu' : 'aarch64-linux-gnu';
  return [`/lib/${triplet}`, `/usr/lib/${triplet}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
}

/** What `$LIB` and `$PLATFORM` expand to in Debian's loader for each architecture. */
function dstValues(arch: Arch): Record<string, string> {
  return { LIB: arch === 'x86_64' ? 'lib/x86_64-linux-gnu' : 'lib/aarch64-linux-gnu', PLATFORM: arch };
}

/** Splits a search path and expands $ORIGIN, $LIB and $PLATFORM; relative folders are dropped. */
export function expandSearchPath(list: string | undefined, origin: string, arch: Arch): string[] {
  if (!list) return [];
  const values: Record<string, string> = { ORIGIN: origin, ...dstValues(arch) };
  const dirs: string[] = [];
  for (const entry of list.split(/[:;]/)) {
    const expanded = entry.replace(/\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))/g, (_m, a, b) => values[(a ?? b) as string]!);
    // The loader would read a relative folder against the current directory, which means
    // nothing for a package built elsewhere.
    if (expanded.startsWith('/')) dirs.push(normalizeGuestPath(expanded));
  }
  return dirs;
}

interface Node extends LoadedObject {
  loader?: Node;
  origin: string;
}

/** Why a file by the right name was passed over; it helps when nothing fits. */
type Skip = { path: string; why: string };

function readIdent(root: string, guestPath: string): Buffer {
  const fd = openSync(hostPath(root, guestPath), 'r');
  try {
    const buf = Buffer.alloc(ELF_IDENT_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** A real file that the loader would map for `arch`, or the reason it would not. */
function check(root: string, guestPath: string, arch: Arch): { realPath: string } | { why: string } | null {
  const realPath = realGuestPath(root, guestPath);
  if (realPath === null) return null;
  const st = lstatGuest(root, realPath);
  if (!st || !st.stats.isFile()) return { why: 'not a regular file' };
  try {
    const bytes = readIdent(root, realPath);
    const ident = identify(bufferSource(bytes), guestPath);
    if (ident.arch !== arch) return { why: `built for ${ident.arch}, not ${arch}` };
  } catch (e) {
    return { why: e instanceof UniError ? e.message : String(e) };
  }
  return { realPath };
}

export function resolveClosure(programPath: string, env: LoaderEnv, opts: { dlopened?: string[] } = {}): Closure {
  const root = env.root;
  const given = normalizeGuestPath(programPath);
  const programReal = realGuestPath(root, given);
  if (programReal === null || !lstatGuest(root, programReal)?.stats.isFile()) {
    throw new UniError('not_found', `${given} does not exist or is not a regular file`);
  }
  const programElf = readElfFile(hostPath(root, programReal), given);
  const arch = programElf.arch;
  // The kernel hands the loader the program's resolved path (/proc/self/exe), hence its $ORIGIN.
  const program: Node = { name: given, path: given, realPath: programReal, elf: programElf, origin: path.posix.dirname(programReal) };
  const confDirs = ldSoConfDirs(root, env.ldSoConf ?? DEFAULT_LD_SO_CONF);
  const envDirs = expandSearchPath(env.ldLibraryPath, program.origin, arch);
  const defaults = defaultLibraryDirs(arch);

  const byName = new Map<string, Node>();
  const byReal = new Map<string, Node>();
  const register = (node: Node, names: Array<string | undefined>): void => {
    for (const n of names) if (n !== undefined) byName.set(n, node);
    byReal.set(node.realPath, node);
  };

  let interpreter: Node | undefined;
  if (programElf.interpreter !== undefined) {
    const interp = normalizeGuestPath(programElf.interpreter);
    const found = check(root, interp, arch);
    if (found === null || 'why' in found) {
      throw new UniError(
        'missing_library',
        `the program interpreter ${interp} needed by ${given} was not found${found ? ` (${found.why})` : ''}`,
      );
    }
    const elf = readElfFile(hostPath(root, found.realPath), interp);
    interpreter = { name: interp, path: interp, realPath: found.realPath, elf, origin: path.posix.dirname(interp) };
    register(interpreter, [interp, elf.soname]);
  }

  const searchDirs = (loader: Node): string[] => {
    const dirs: string[] = [];
    if (loader.elf.runpath === undefined) {
      // RPATH of the asking object, then of the object that loaded it, up to the program;
      // an object with a RUNPATH has its RPATH ignored.
      for (let l: Node | undefined = loader; l; l = l.loader) {
        if (l.elf.runpath === undefined) dirs.push(...expandSearchPath(l.elf.rpath, l.origin, arch));
      }
    }
    dirs.push(...envDirs);
    dirs.push(...expandSearchPath(loader.elf.runpath, loader.origin, arch));
    if (!loader.elf.noDefaultLib) dirs.push(...confDirs, ...defaults);
    return dirs;
  };

  const find = (name: string, loader: Node): { path: string; realPath: string } => {
    if (name.includes('/') && !name.startsWith('/')) {
      throw new UniError('bad_elf', `${loader.path} needs "${name}", a relative path that only the current folder of a running process could resolve`);
    }
    const skipped: Skip[] = [];
    const candidates = name.includes('/') ? [name] : searchDirs(loader).map((d) => path.posix.join(d, name));
    for (const candidate of candidates) {
      const found = check(root, candidate, arch);
      if (found === null) continue;
      if ('why' in found) {
        skipped.push({ path: candidate, why: found.why });
        continue;
      }
      return { path: normalizeGuestPath(candidate), realPath: found.realPath };
    }
    const also = skipped.length > 0 ? `; skipped ${skipped.map((s) => `${s.path} (${s.why})`).join(', ')}` : '';
    throw new UniError('missing_library', `library ${name} needed by ${loader.path} was not found${also}`);
  };

  const libraries: Node[] = [];
  const missing: MissingLibrary[] = [];
  const walk = (queue: Node[], lenient: boolean): void => {
    while (queue.length > 0) {
      const obj = queue.shift()!;
      for (const name of obj.elf.needed) {
        if (byName.has(name)) continue;
        let hit: { path: string; realPath: string };
        try {
          hit = find(name, obj);
        } catch (e) {
          if (!lenient || !(e instanceof UniError) || e.code !== 'missing_library') throw e;
          missing.push({ name, neededBy: obj.path, message: e.message });
          continue;
        }
        const same = byReal.get(hit.realPath);
        if (same) {
          byName.set(name, same);
          continue;
        }
        const elf = readElfFile(hostPath(root, hit.realPath), hit.path);
        const node: Node = { name, path: hit.path, realPath: hit.realPath, neededBy: obj.path, elf, loader: obj, origin: path.posix.dirname(hit.path) };
        register(node, [name, hit.path, elf.soname]);
        libraries.push(node);
        queue.push(node);
      }
    }
  };
  walk([program], false);

  // Modules the program will dlopen (python's lib-dynload, say), each opened by the program.
  const dlopened: Node[] = [];
  for (const p of opts.dlopened ?? []) {
    const g = normalizeGuestPath(p);
    const realPath = realGuestPath(root, g);
    if (realPath === null || byReal.has(realPath)) continue;
    const elf = readElfFile(hostPath(root, realPath), g);
    const node: Node = { name: g, path: g, realPath, elf, loader: program, origin: path.posix.dirname(g) };
    register(node, [g, elf.soname]);
    dlopened.push(node);
  }
  walk([...dlopened], true);

  const strip = ({ loader: _l, origin: _o, ...rest }: Node): LoadedObject => rest;
  return { program: strip(program), interpreter: interpreter && strip(interpreter), libraries: libraries.map(strip), dlopened: dlopened.map(strip), missing };
}
