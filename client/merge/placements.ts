import { readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { UniError } from '../../protocol/errors.js';
import { canonicalName } from '../../protocol/names.js';
import type { FileIndexEntry } from '../../protocol/archive/types.js';
import { INDEX_FILE } from '../cache/tree.js';
import type { InstalledPackage } from '../types.js';
import type { ProjectConfig } from './config.js';
import { describeHostPath, scanFolder, type Entry, type KnownFile } from './scan.js';
import { packageProgramPath } from './merge.js';
import { splitImagePath, type Origin } from './tree.js';

/** One entry and where it goes in the image. */
export interface Placement {
  parts: string[];
  entry: Entry;
  origin: Origin;
}

const MANIFEST = 'package.manifest';
const SYSROOT = 'sysroot';

/**
 * The cache keeps, beside each extracted top folder, the archive's file index, checked when the
 * archive was: it gives the archive's modes (the cache's copies are read-only) and spares
 * hashing every file again. A tree outside the cache has none and is hashed.
 */
async function cacheIndex(pkg: InstalledPackage): Promise<Map<string, KnownFile>> {
  const path = join(dirname(pkg.path), INDEX_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  let entries: FileIndexEntry[];
  try {
    entries = JSON.parse(text) as FileIndexEntry[];
  } catch {
    throw new UniError('cache_damaged', `${path} is damaged; run \`uni cache verify\``);
  }
  const known = new Map<string, KnownFile>();
  for (const e of entries) {
    if (e.type === 'file' && e.sha256 !== undefined && e.size !== undefined) known.set(e.path, { mode: e.mode, size: e.size, sha256: e.sha256 });
  }
  return known;
}

/**
 * A package's extracted top folder, as ops lays it (lepton/image.go, BuildPackageManifest):
 * sysroot/ at `/`; a relative Program (`lua_5.2.4/lua`) names the top folder's file of that
 * last name, laid at `/lua`; the top folder's other files, package.manifest among them, nowhere.
 */
export async function packagePlacements(pkg: InstalledPackage): Promise<Placement[]> {
  const origin: Origin = { label: `${canonicalName(pkg.name)}@${pkg.version}`, package: canonicalName(pkg.name) };
  const program = pkg.manifest.Program;
  const topProgram = program !== undefined && !program.startsWith('/') ? packageProgramPath(program).slice(1) : undefined;
  const out: Placement[] = [];
  for (const { rel, entry } of await scanFolder(pkg.path, await cacheIndex(pkg))) {
    if (rel.startsWith(`${SYSROOT}/`)) out.push({ parts: rel.slice(SYSROOT.length + 1).split('/'), entry, origin });
    else if (rel === topProgram && rel !== MANIFEST) out.push({ parts: [rel], entry, origin });
  }
  return out;
}

/** Where a host path named in the config goes: an absolute one keeps its path, a relative one is placed from `/`. */
function imagePartsFor(spec: string, base: string, what: string): string[] {
  if (isAbsolute(spec)) return splitImagePath(spec, what);
  const rel = relative(base, resolve(base, spec));
  if (rel === '..' || rel.startsWith(`..${sep}`)) {
    throw new UniError('bad_config', `${what}: "${spec}" is outside the project folder; use MapDirs to place files from elsewhere`);
  }
  return rel === '' ? [] : rel.split(sep);
}

async function describeNamed(host: string, what: string, followLinks: boolean): Promise<Entry> {
  try {
    return await describeHostPath(host, followLinks);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UniError('bad_config', `${what}: ${host} does not exist`);
    throw e;
  }
}

async function folderPlacements(host: string, parts: string[], origin: Origin): Promise<Placement[]> {
  const out: Placement[] = [{ parts, entry: { kind: 'dir' }, origin }];
  for (const { rel, entry } of await scanFolder(host)) out.push({ parts: [...parts, ...rel.split('/')], entry, origin });
  return out;
}

/**
 * ops's MapDirs: the key's last part is a pattern matched against file names at every depth
 * under the key's folder (`certs/*`); a pattern with a '/' in it (`assets/**\/*.png`) is
 * matched against the path below the folder; a plain folder maps all its files.
 */
async function mapDirPlacements(key: string, target: string, base: string, what: string): Promise<Placement[]> {
  const origin: Origin = { label: `config.json (${what})` };
  const targetParts = splitImagePath(target, what);
  const scan = picomatch.scan(key);
  const folder = resolve(base, scan.base === '' ? '.' : scan.base);
  if (!scan.isGlob) {
    const entry = await describeNamed(folder, what, true);
    if (entry.kind === 'dir') return folderPlacements(folder, targetParts, origin);
    return [{ parts: [...targetParts, basename(folder)], entry, origin }];
  }
  const entry = await describeNamed(folder, what, true);
  if (entry.kind !== 'dir') throw new UniError('bad_config', `${what}: ${folder} is not a folder`);
  const matches = picomatch(scan.glob, { dot: true });
  const onName = !scan.glob.includes('/');
  const out: Placement[] = [];
  for (const found of await scanFolder(folder)) {
    if (found.entry.kind === 'dir') continue;
    if (!matches(onName ? found.rel.slice(found.rel.lastIndexOf('/') + 1) : found.rel)) continue;
    out.push({ parts: [...targetParts, ...found.rel.split('/')], entry: found.entry, origin });
  }
  if (out.length === 0) throw new UniError('bad_config', `${what}: "${key}" matches no file in ${folder}`);
  return out;
}

/**
 * The user's own files: Files (each a file), Dirs (each a folder, with everything in it) and
 * MapDirs, relative to the config's folder (or its LocalFilesParentDirectory, as in ops).
 */
export async function configPlacements(config: ProjectConfig, configDir: string): Promise<Placement[]> {
  const base = resolve(configDir, config.LocalFilesParentDirectory ?? '.');
  const out: Placement[] = [];
  for (const spec of config.Files ?? []) {
    const what = `Files: ${spec}`;
    const host = resolve(base, spec);
    const parts = imagePartsFor(spec, base, what);
    const entry = await describeNamed(host, what, true);
    if (entry.kind === 'dir') throw new UniError('bad_config', `${what}: ${host} is a folder; list folders in Dirs`);
    out.push({ parts, entry, origin: { label: `config.json (${what})` } });
  }
  for (const spec of config.Dirs ?? []) {
    const what = `Dirs: ${spec}`;
    const host = resolve(base, spec);
    const parts = imagePartsFor(spec, base, what);
    const entry = await describeNamed(host, what, true);
    if (entry.kind !== 'dir') throw new UniError('bad_config', `${what}: ${host} is not a folder; list files in Files`);
    out.push(...(await folderPlacements(host, parts, { label: `config.json (${what})` })));
  }
  for (const [key, target] of Object.entries(config.MapDirs ?? {})) {
    out.push(...(await mapDirPlacements(key, target, base, `MapDirs: ${key}`)));
  }
  return out;
}

/**
 * ops's Args copy: argv[1] names a file or folder of the project folder (the base Files are
 * relative to), which goes into the image at that path. An argument that names nothing there,
 * or a path outside it, is an ordinary argument and copies nothing, as in ops.
 */
export async function argsCopyPlacements(arg: string, config: ProjectConfig, configDir: string): Promise<Placement[]> {
  const base = resolve(configDir, config.LocalFilesParentDirectory ?? '.');
  const host = join(base, arg);
  const rel = relative(base, host);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return [];
  let entry: Entry;
  try {
    entry = await describeHostPath(host, true);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
  const origin: Origin = { label: `config.json (Args[1] copy: ${arg})` };
  const parts = splitImagePath(arg, 'Args[1]');
  return entry.kind === 'dir' ? folderPlacements(host, parts, origin) : [{ parts, entry, origin }];
}

/** The klib files named, from the config's KlibDir (ops's name for the folder of nanos's klib binaries). */
export async function klibEntries(names: readonly string[], config: ProjectConfig, configDir: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  if (names.length === 0 || config.KlibDir === undefined) return out;
  const dir = resolve(configDir, config.KlibDir);
  for (const name of names) {
    const entry = await describeNamed(resolve(dir, name), `Klibs: ${name} (KlibDir ${config.KlibDir})`, true);
    if (entry.kind !== 'file') throw new UniError('bad_config', `Klibs: ${name}: ${resolve(dir, name)} is not a file`);
    out.set(name, entry);
  }
  return out;
}
