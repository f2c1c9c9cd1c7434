import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import semver from 'semver';
import type { Arch } from '../schemas/names.js';
import { buildLockfile, LOCKFILE_NAME, readLockfile, writeLockfile, type Lockfile } from './lockfile.js';
import { readProjectConfig, type ProjectConfig } from './merge/config.js';
import type { PackageSource } from './types.js';

/** Where versions come from and where notes go, for `uni lock` and `uni manifest` alike. */
export interface LockContext {
  arch: Arch;
  source: PackageSource;
  /** What the lockfile records as where versions came from: a registry URL or file:<index>. */
  registry: string;
  warn: (message: string) => void;
}

export interface LockOptions extends LockContext {
  configPath: string;
}

export interface LockResult {
  path: string;
  solution: Record<string, string>;
  lockfile: Lockfile;
}

/**
 * `uni lock`: resolves a project's Dependencies (and Overrides) and writes uni.lock beside its
 * config. Versions of an existing uni.lock for the same architecture and registry are
 * preferred, so re-locking changes only what has to change. Nothing is written when
 * resolution fails.
 */
export async function lockProject(opts: LockOptions): Promise<LockResult> {
  const config = readProjectConfig(opts.configPath);
  const path = join(dirname(opts.configPath), LOCKFILE_NAME);
  return relock(config, path, readExisting(path, opts.warn), opts);
}

/**
 * `uni manifest`: uni.lock as it stands when it still fits the config (see lockMisfit), else
 * resolved again as `uni lock` does, preferring the locked versions, and written.
 */
export async function lockForConfig(config: ProjectConfig, configDir: string, ctx: LockContext): Promise<Lockfile> {
  const path = join(configDir, LOCKFILE_NAME);
  const existing = readExisting(path, ctx.warn);
  if (existing) {
    const req = { root: config.Dependencies ?? {}, overrides: config.Overrides ?? {}, arch: ctx.arch, registry: ctx.registry };
    const misfit = await lockMisfit(existing, req, ctx.source);
    if (misfit === null) return existing;
    ctx.warn(`${LOCKFILE_NAME} ${misfit}: resolving again`);
  }
  return (await relock(config, path, existing, ctx)).lockfile;
}

async function relock(config: ProjectConfig, path: string, existing: Lockfile | undefined, ctx: LockContext): Promise<LockResult> {
  // Loaded only here: a uni manifest whose uni.lock fits never resolves.
  const { resolve } = await import('./resolver/index.js');
  const reuse = existing && existing.arch === ctx.arch && existing.registry === ctx.registry ? existing.packages : {};
  const solution = await resolve({
    root: config.Dependencies ?? {},
    overrides: config.Overrides ?? {},
    arch: ctx.arch,
    source: ctx.source,
    locked: Object.fromEntries(Object.entries(reuse).map(([name, p]) => [name, p.version])),
    rootName: 'config.json',
  });
  const lockfile = await buildLockfile(solution, ctx.source, ctx.arch, ctx.registry);
  writeLockfile(path, lockfile);
  return { path, solution, lockfile };
}

/** A uni.lock that cannot be read is set aside with a warning, and written anew. */
function readExisting(path: string, warn: (message: string) => void): Lockfile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readLockfile(path);
  } catch (e) {
    warn(`ignoring the existing ${LOCKFILE_NAME}: ${(e as Error).message}`);
    return undefined;
  }
}

export interface Requirements {
  /** The config's Dependencies: canonical names to npm ranges. */
  root: Record<string, string>;
  /** The config's Overrides: each replaces every other constraint on its package. */
  overrides: Record<string, string>;
  arch: Arch;
  /** Where versions come from now; a lock made against another registry does not count. */
  registry: string;
}

/**
 * Why uni.lock no longer fits the config, or null when every package the config needs is
 * locked at a version that meets every range on it and the lock holds nothing else. The
 * ranges between packages come from `source`, since the lock records versions, not ranges.
 */
export async function lockMisfit(lock: Lockfile, req: Requirements, source: PackageSource): Promise<string | null> {
  if (lock.arch !== req.arch) return `is for ${lock.arch}, not ${req.arch}`;
  if (lock.registry !== req.registry) return `was made against ${lock.registry}, not ${req.registry}`;
  const wanted = { ...req.root, ...req.overrides };
  const needed = new Set<string>();
  const check = (name: string, range: string, by: string): string | null => {
    const locked = lock.packages[name];
    if (!locked) return `has no ${name}, which ${by} needs`;
    if (!semver.satisfies(locked.version, range)) return `has ${name} ${locked.version}, but ${by} needs ${range}`;
    return null;
  };
  const pending: string[] = [];
  for (const [name, range] of Object.entries(wanted)) {
    const why = check(name, range, 'config.json');
    if (why) return why;
    pending.push(name);
  }
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const locked = lock.packages[name]!;
    const info = (await source.versions(name)).find((v) => v.version === locked.version);
    if (!info) return `has ${name} ${locked.version}, which the registry no longer lists`;
    for (const [dep, range] of Object.entries(info.dependencies)) {
      const why = check(dep, req.overrides[dep] ?? range, `${name} ${locked.version}`);
      if (why) return why;
      pending.push(dep);
    }
  }
  const extra = Object.keys(lock.packages).filter((n) => !needed.has(n));
  if (extra.length > 0) return `holds ${extra.join(', ')}, which config.json no longer needs`;
  return null;
}
