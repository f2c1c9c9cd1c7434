import semver from 'semver';
import { UniError } from '../protocol/errors.js';
import type { Arch } from '../protocol/names.js';
import { validateWith } from '../protocol/validate.js';
import lockfileSchema from '../protocol/lockfile.schema.json' with { type: 'json' };
import { writeFileAtomic } from './cache/atomic.js';
import { readJsonFile } from './json-file.js';
import type { PackageSource } from './types.js';

export const LOCKFILE_NAME = 'uni.lock';

export interface LockedPackage {
  version: string;
  /** `sha256:<hex>` of the archive for the lockfile's architecture, when the source knows it. */
  digest?: string;
  /** Each dependency's name and the version it resolved to. */
  dependencies: Record<string, string>;
}

export interface Lockfile {
  lockfileVersion: 1;
  arch: Arch;
  registry: string;
  packages: Record<string, LockedPackage>;
}

/** Checks a parsed uni.lock; the error names the file and the field at fault. */
export function parseLockfile(data: unknown, what = LOCKFILE_NAME): Lockfile {
  const lock = validateWith<Lockfile>(lockfileSchema, data, what, 'bad_lockfile');
  for (const [name, pkg] of Object.entries(lock.packages)) {
    if (semver.valid(pkg.version) !== pkg.version) {
      throw new UniError('bad_lockfile', `${what}: field /packages/${name}/version "${pkg.version}" is not a semantic version`);
    }
  }
  for (const [name, pkg] of Object.entries(lock.packages)) {
    for (const [dep, version] of Object.entries(pkg.dependencies)) {
      if (lock.packages[dep]?.version !== version) {
        throw new UniError('bad_lockfile', `${what}: ${name} depends on ${dep} ${version}, but the lockfile has ${dep} ${lock.packages[dep]?.version ?? 'nowhere'}`);
      }
    }
  }
  return lock;
}

export function readLockfile(path: string): Lockfile {
  return parseLockfile(readJsonFile(path, 'bad_lockfile'), path);
}

/** Keys sorted at every level, so that the same lock always has the same bytes. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

export function serializeLockfile(lock: Lockfile): string {
  return `${JSON.stringify(sortKeys(lock), null, 2)}\n`;
}

/** Replaces the file only once the whole new content is on disk. */
export function writeLockfile(path: string, lock: Lockfile): void {
  writeFileAtomic(path, serializeLockfile(lock));
}

/**
 * The lockfile for a solution: each package's digest for `arch` and the versions its
 * dependencies resolved to, read back from the same source the resolver used.
 */
export async function buildLockfile(
  solution: Record<string, string>,
  source: PackageSource,
  arch: Arch,
  registry: string,
): Promise<Lockfile> {
  const names = Object.keys(solution);
  const infos = await Promise.all(names.map((n) => source.versions(n)));
  const packages: Record<string, LockedPackage> = {};
  names.forEach((name, i) => {
    const version = solution[name]!;
    const info = infos[i]!.find((v) => semver.eq(v.version, version));
    if (!info) throw new UniError('not_found', `${name} ${version} is no longer listed by ${registry}`);
    const dependencies: Record<string, string> = {};
    for (const dep of Object.keys(info.dependencies)) {
      // An override may have dropped a dependency's own range; the solution says what it became.
      if (solution[dep] !== undefined) dependencies[dep] = solution[dep]!;
    }
    const digest = info.artifacts?.[arch]?.digest;
    packages[name] = { version, ...(digest ? { digest } : {}), dependencies };
  });
  return { lockfileVersion: 1, arch, registry, packages };
}
