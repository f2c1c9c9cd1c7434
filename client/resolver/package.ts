import semver from 'semver';
import { UniError } from '../../protocol/errors.js';
import { checkRangeLength } from '../../protocol/names.js';
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
  /**
   * A version's dependencies as [name, range], in the order the package lists them. Built on
   * first ask: a solve reads those of a few versions of most packages it loads.
   */
  readonly depsOf: (version: number) => ReadonlyArray<readonly [string, string]>;
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
  /** Per dependency name, a flag per version: its incompatibility with that dependency was added. */
  readonly listed: Map<string, boolean[]>;
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
  const listed = !startsWithDigit(range) ? -1 : size <= 8 ? pkg.versions.indexOf(range) : (indexOf(pkg).get(range) ?? -1);
  if (listed >= 0 && !pkg.isRoot) {
    // A range that is one of the listed versions, spelt as listed, allows exactly that version.
    set = VersionSet.of(size, [listed]);
  } else if (pkg.isRoot) {
    const parsed = compileRange(range, pkg.name, who);
    const members: number[] = [];
    if (parsed.test(pkg.parsed[0]!)) members.push(0);
    if (!semver.subset(parsed, pkg.versions[0]!)) members.push(1);
    set = VersionSet.of(size, members);
  } else {
    set = VersionSet.of(size, matching(pkg, compileRange(range, pkg.name, who)));
  }
  pkg.rangeSets.set(range, set);
  return set;
}

/** Listed versions are normalised semver, so a range with an operator in front is none of them. */
function startsWithDigit(range: string): boolean {
  const c = range.charCodeAt(0);
  return c >= 48 && c <= 57;
}

const compiled = new Map<string, semver.Range>();

function compileRange(range: string, name: string, who: string): semver.Range {
  let parsed = compiled.get(range);
  if (parsed) return parsed;
  checkRangeLength(range, `${who} depends on ${name} with a version range`);
  try {
    parsed = new semver.Range(range);
  } catch {
    throw new UniError('bad_range', `${who} depends on ${name} with an invalid version range "${range}"`);
  }
  compiled.set(range, parsed);
  return parsed;
}

/**
 * The indices of the versions `range` allows. Among release versions (no pre-release tag) each
 * of semver's comparators holds on a prefix or a suffix of the sorted list, so its boundary is
 * found by binary search with semver's own test, and a comparator set is the intersection of
 * those spans. A pre-release in the list falls under npm's extra rule, so such a list is tested
 * version by version.
 */
function matching(pkg: Pkg, range: semver.Range): number[] {
  const versions = pkg.parsed;
  const n = versions.length;
  if (n <= 4 || versions.some((v) => v.prerelease.length > 0)) {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (range.test(versions[i]!)) members.push(i);
    return members;
  }
  const member = new Set<number>();
  for (const comparators of range.set) {
    let lo = 0;
    let hi = n - 1;
    for (const c of comparators) {
      if (c.value === '') continue;
      if (c.operator === '<' || c.operator === '<=') hi = Math.min(hi, firstIndex(n, (i) => !c.test(versions[i]!)) - 1);
      else if (c.operator === '>' || c.operator === '>=') lo = Math.max(lo, firstIndex(n, (i) => c.test(versions[i]!)));
      else {
        lo = Math.max(lo, firstIndex(n, (i) => versions[i]!.compare(c.semver) >= 0));
        hi = Math.min(hi, firstIndex(n, (i) => versions[i]!.compare(c.semver) > 0) - 1);
      }
    }
    for (let i = lo; i <= hi; i++) member.add(i);
  }
  return [...member];
}

/** The first index in [0, n) where a monotone predicate (false…false true…true) holds, or n. */
function firstIndex(n: number, holds: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (holds(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const indexes = new WeakMap<Pkg, Map<string, number>>();

function indexOf(pkg: Pkg): Map<string, number> {
  let index = indexes.get(pkg);
  if (!index) {
    index = new Map(pkg.versions.map((v, i) => [v, i]));
    indexes.set(pkg, index);
  }
  return index;
}
