/**
 * `uni pkg from-binary`: a package folder (package.manifest + sysroot/) made from a program
 * of this machine, or of a foreign root, with the shared libraries the loader would map.
 */
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UniError } from '../../protocol/errors.js';
import { ELF_IDENT_BYTES, readElfIdent } from '../../protocol/archive/elf-header.js';
import { checkNamePart, normalizeVersion, topFolderName, type Arch } from '../../protocol/names.js';
import { validatePackageManifest, type PackageManifest } from '../../protocol/validate.js';
import { resolveClosure, type Closure } from '../elf/closure.js';
import { normalizeGuestPath } from '../elf/rootfs.js';
import { SysrootWriter } from './sysroot.js';

export interface FromBinaryOptions {
  /** The program, as a path inside `root`. */
  program: string;
  /** Required: the program is never run to ask it. */
  version?: string;
  name?: string;
  /** More files or folders (guest paths) for what the program opens at run time. */
  add?: string[];
  /** The package folder to write; it must not exist yet. */
  out?: string;
  /** The folder `out` defaults into. */
  cwd: string;
  /** The filesystem the program and its libraries are read from; `/` for this machine. */
  root?: string;
  ldLibraryPath?: string;
}

export interface FromBinaryResult {
  dir: string;
  manifest: PackageManifest;
  closure: Closure;
  /** Guest paths laid in sysroot/, sorted. */
  files: string[];
}

/** `Redis-Server` -> `redis-server`: what the name pattern accepts, from a file's name. */
export function nameFromFile(file: string): string {
  const base = path.posix.basename(file).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64);
  if (base === '') throw new UniError('bad_name', `cannot make a package name from "${path.posix.basename(file)}": give one with --name`);
  return base;
}

const ET_DYN = 3;

/** A regular file (not a link) that is an ELF shared object (ET_DYN) for `arch`. */
function isElfFor(file: string, arch: Arch): boolean {
  const st = lstatSync(file);
  if (!st.isFile() || st.size < ELF_IDENT_BYTES) return false;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(ELF_IDENT_BYTES);
    readSync(fd, buf, 0, buf.length, 0);
    const ident = readElfIdent(buf);
    return ident !== null && ident.arch === arch && ident.littleEndian && buf.readUInt16LE(16) === ET_DYN;
  } finally {
    closeSync(fd);
  }
}

export function fromBinary(opts: FromBinaryOptions): FromBinaryResult {
  if (opts.version === undefined || opts.version.trim() === '') {
    throw new UniError('usage', 'from-binary needs --version: the program is never run to ask it its version');
  }
  const version = normalizeVersion(opts.version);
  const root = path.resolve(opts.root ?? '/');
  const program = normalizeGuestPath(path.posix.resolve(opts.root ? '/' : opts.cwd, opts.program));
  const name = checkNamePart(opts.name ?? nameFromFile(program), 'name');
  const out = path.resolve(opts.cwd, opts.out ?? topFolderName(name, version));
  if (existsSync(out)) throw new UniError('exists', `${out} already exists; remove it or choose another folder with -o`);

  let closure = resolveClosure(program, { root, ldLibraryPath: opts.ldLibraryPath });
  // Built beside its final place and renamed at the end, so a failure leaves nothing behind.
  mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.partial-${process.pid}-${Date.now()}`;
  try {
    const writer = new SysrootWriter(root, path.join(tmp, 'sysroot'));
    writer.lay(program);
    for (const obj of [closure.interpreter, ...closure.libraries]) if (obj) writer.lay(obj.path);
    const beforeAdd = new Set(writer.paths());
    for (const extra of opts.add ?? []) writer.lay(normalizeGuestPath(path.posix.resolve(opts.root ? '/' : opts.cwd, extra)));
    // Added shared objects are what the program dlopens: what they need in turn comes too.
    const arch = closure.program.elf.arch;
    const modules = writer.paths().filter((g) => !beforeAdd.has(g) && isElfFor(path.join(tmp, 'sysroot', g), arch));
    if (modules.length > 0) {
      closure = resolveClosure(program, { root, ldLibraryPath: opts.ldLibraryPath }, { dlopened: modules });
      for (const lib of closure.libraries) writer.lay(lib.path);
    }
    const manifest = validatePackageManifest({
      Name: name,
      Version: version,
      Arch: closure.program.elf.arch,
      // The path as given, a link kept as a link: redis-server is a link to redis-check-rdb,
      // and which of the two runs depends on the name it was started by.
      Program: program,
      Args: [path.posix.basename(program)],
    });
    writeFileSync(path.join(tmp, 'package.manifest'), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(tmp, out);
    return { dir: out, manifest, closure, files: writer.paths() };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
