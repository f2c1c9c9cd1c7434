import semver from 'semver';
import { UniError } from '../../schemas/errors.js';
import { VersionSet } from './version-set.js';

/**
 * One package as the solver sees it: every version the source lists (its universe, sorted
 * ascending), which of them are candidates, and each version's dependencies. Terms about the
 * package are sets over this universe.
 */
export interface Pkg {
  readonly id: number;
  readonly name: string;
  readonly isRoot: boolean;
  /**
   * Sorted ascending. The root has its own version and, after it, a stand-in for "any other
   * version of the root", so that a package asking for another root version has a
   * non-empty term to conflict with (pub reports that as "myapp is 0.0.0").
   */
  readonly versions: readonly string[];
  /** Per version, its dependencies as [name, range], in the order the package lists them. */
  readonly deps: ReadonlyArray<ReadonlyArray<readonly [string, string]>>;
  /** Versions that may be chosen: built for the target architecture, and not yanked unless locked. */
  readonly allowed: VersionSet;
  /** Versions left out because they have no build for the target architecture. */
  readonly noArch: VersionSet;
  /** Versions left out because they are yanked (and not locked). */
  readonly yanked: VersionSet;
  /** Index of the locked version, when it is in the universe. */
  readonly locked: number;
  /** Set when the source says the package does not exist: why. */
  readonly notFound: string | undefined;
  /** Cache of range → set, since the same range recurs across versions. */
  readonly rangeSets: Map<string, VersionSet>;
  /** Per dependency name, the versions whose incompatibility with it was already added. */
  readonly listed: Map<string, VersionSet>;
  /** Parsed versions, so that range tests do not re-parse them. */
  readonly parsed: readonly semver.SemVer[];
}

/**
 * The versions of `pkg` that `range` allows. Membership is semver's (npm's pre-release rule:
 * a pre-release matches only when the range names one). `who` names the depender for the
 * error message when the range is not valid.
 */
export function setFor(pkg: Pkg, range: string, who: string): VersionSet {
  const cached = pkg.rangeSets.get(range);
  if (cached) return cached;
  const size = pkg.versions.length;
  let set: VersionSet;
  const exact = semver.valid(range);
  if (pkg.isRoot) {
    const parsed = compileRange(range, pkg.name, who);
    const members: number[] = [];
    if (parsed.test(pkg.parsed[0]!)) members.push(0);
    if (!semver.subset(parsed, pkg.versions[0]!)) members.push(1);
    set = VersionSet.of(size, members);
  } else if (exact !== null) {
    // A bare version (the common case for pinned dependencies) is one lookup, not a scan.
    const i = binarySearch(pkg.parsed, exact);
    set = i >= 0 ? VersionSet.of(size, [i]) : VersionSet.empty(size);
  } else {
    const parsed = compileRange(range, pkg.name, who);
    const members: number[] = [];
    for (let i = 0; i < size; i++) if (parsed.test(pkg.parsed[i]!)) members.push(i);
    set = VersionSet.of(size, members);
  }
  pkg.rangeSets.set(range, set);
  return set;
}

function compileRange(range: string, name: string, who: string): semver.Range {
  try {
    return new semver.Range(range);
  } catch {
    throw new UniError('bad_range', `${who} depends on ${name} with an invalid version range "${range}"`);
  }
}

function binarySearch(sorted: readonly semver.SemVer[], version: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = sorted[mid]!.compare(version);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
