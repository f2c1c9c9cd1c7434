/**
 * `uni outdated`, as `npm outdated`: for each locked package, the locked version, the newest
 * one every range on it allows (wanted: what `uni lock --update` would move it to, if its
 * dependents stay), and the newest there is (latest). Yanked versions and versions without an
 * archive for the architecture count for neither; prereleases only when a range names one.
 */
import semver from 'semver';
import type { Arch } from '../protocol/names.js';
import type { Requirements } from './lock-fit.js';
import type { Lockfile } from './lockfile.js';
import type { PackageSource, PackageVersionInfo } from './types.js';

export interface OutdatedRow {
  name: string;
  locked: string;
  /** null when no version meets every range on it. */
  wanted: string | null;
  latest: string | null;
}

/** Each locked package's ranges: from config.json, and from the locked versions that depend on it. */
async function rangesOn(lock: Lockfile, req: Requirements, source: PackageSource): Promise<Map<string, string[]>> {
  const ranges = new Map<string, string[]>();
  const add = (name: string, range: string): void => {
    ranges.set(name, [...(ranges.get(name) ?? []), range]);
  };
  for (const [name, range] of Object.entries(req.root)) add(name, req.overrides[name] ?? range);
  for (const [name, p] of Object.entries(lock.packages)) {
    const info = (await source.versions(name)).find((v) => v.version === p.version);
    for (const [dep, range] of Object.entries(info?.dependencies ?? {})) add(dep, req.overrides[dep] ?? range);
  }
  for (const [name, range] of Object.entries(req.overrides)) ranges.set(name, [range]);
  return ranges;
}

function newest(versions: PackageVersionInfo[], arch: Arch, fits: (v: string) => boolean): string | null {
  const usable = versions.filter((v) => !v.yanked && v.arches.includes(arch) && fits(v.version)).map((v) => v.version);
  return semver.rsort(usable)[0] ?? null;
}

/** Every locked package, in name order; the caller shows those whose locked version is behind. */
export async function outdatedPackages(lock: Lockfile, req: Requirements, source: PackageSource): Promise<OutdatedRow[]> {
  const ranges = await rangesOn(lock, req, source);
  const rows: OutdatedRow[] = [];
  for (const name of Object.keys(lock.packages).sort()) {
    const versions = await source.versions(name);
    const on = ranges.get(name) ?? [];
    rows.push({
      name,
      locked: lock.packages[name]!.version,
      wanted: newest(versions, req.arch, (v) => on.every((r) => semver.satisfies(v, r))),
      latest: newest(versions, req.arch, (v) => semver.prerelease(v) === null),
    });
  }
  return rows;
}

export function isBehind(row: OutdatedRow): boolean {
  return [row.wanted, row.latest].some((v) => v !== null && semver.gt(v, row.locked));
}
