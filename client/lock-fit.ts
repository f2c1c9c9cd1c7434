/**
 * Whether a uni.lock still fits: its versions against the config's ranges (lockMisfit), its
 * digests against what the registry serves now (a lock travels between a registry and its
 * mirrors because it pins digests, not a URL), and which locked versions were yanked since.
 */
import semver from 'semver';
import { UniError } from '../protocol/errors.js';
import type { Arch } from '../protocol/names.js';
import { LOCKFILE_NAME, type Lockfile } from './lockfile.js';
import type { PackageSource } from './types.js';

export interface Requirements {
  /** The config's Dependencies: canonical names to npm ranges. */
  root: Record<string, string>;
  /** The config's Overrides: each replaces every other constraint on its package. */
  overrides: Record<string, string>;
  arch: Arch;
}

/**
 * Why uni.lock no longer fits the config, or null when every package the config needs is
 * locked at a version that meets every range on it and the lock holds nothing else. The
 * ranges between packages come from `source`, since the lock records versions, not ranges.
 * The registry it was made against does not count: any registry serving its digests fits.
 */
export async function lockMisfit(lock: Lockfile, req: Requirements, source: PackageSource): Promise<string | null> {
  if (lock.arch !== req.arch) return `is for ${lock.arch}, not ${req.arch}`;
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

/**
 * Fails when the registry serves a locked version with other bytes than the lock pins: the
 * lock names the archive, so a registry (or mirror) with another one is not the same build.
 * Packages in `moving` may change and are not checked.
 */
export function checkDigests(before: Lockfile, after: Lockfile, registry: string, moving: ReadonlySet<string>): void {
  for (const [name, now] of Object.entries(after.packages)) {
    const was = before.packages[name];
    if (!was || moving.has(name) || was.version !== now.version || !was.digest || !now.digest || was.digest === now.digest) continue;
    throw new UniError(
      'lock_digest_mismatch',
      `${registry} serves ${name} ${now.version} (${after.arch}) as ${now.digest}, but ${LOCKFILE_NAME} pins ${was.digest}: that registry's archive is not the locked one. ` +
        `If the registry is right, \`uni lock --update ${name}\` takes its archive`,
    );
  }
}

/** A warning for each locked version that is yanked now, with the reason its publisher gave. */
export async function yankedLocked(lock: Lockfile, source: PackageSource): Promise<string[]> {
  const notes: string[] = [];
  for (const [name, p] of Object.entries(lock.packages)) {
    const info = (await source.versions(name)).find((v) => v.version === p.version);
    if (!info?.yanked) continue;
    notes.push(
      `${name} ${p.version} in ${LOCKFILE_NAME} is yanked${info.yankReason ? `: ${info.yankReason}` : ' (no reason given)'}; ` +
        `\`uni lock --update ${name}\` moves it to a version that is not`,
    );
  }
  return notes;
}
