import semver from 'semver';
import type { Arch } from '../../schemas/names.js';
import type { Lockfile } from '../lockfile.js';
import type { PackageSource } from '../types.js';

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
