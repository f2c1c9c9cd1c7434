import type { Pkg } from './package.js';
import type { Term } from './term.js';
import type { VersionSet } from './version-set.js';

const ANY_LABELS = new Set(['*', '', 'x', 'X', 'any']);

/**
 * A set of versions as a person reads it, in pub's style: bounds at the versions where the
 * set starts and stops, omitted at either end of the package's version list, "any" for all.
 * `exact` spells out single versions even at the ends ("redis 7.2.4 has no aarch64 build").
 */
export function formatSet(pkg: Pkg, set: VersionSet, exact = false): string {
  if (pkg.isRoot) return formatRootSet(pkg, set);
  if (set.isFull()) return 'any';
  const n = pkg.versions.length;
  const parts = set.runs().map(([from, to]) => {
    if (from === to && (exact || (from > 0 && to < n - 1))) return pkg.versions[from]!;
    const bounds: string[] = [];
    if (from > 0) bounds.push(`>=${pkg.versions[from]}`);
    if (to < n - 1) bounds.push(`<${pkg.versions[to + 1]}`);
    return bounds.join(' ');
  });
  return parts.length === 0 ? 'none' : parts.join(' || ');
}

function formatRootSet(pkg: Pkg, set: VersionSet): string {
  const own = pkg.versions[0]!;
  if (set.isFull()) return 'any';
  if (set.has(0)) return own;
  return set.has(1) ? `other than ${own}` : 'none';
}

/** The constraint of a term: the range as written when the term still means exactly that. */
export function constraintOf(t: Term, exact = false): string {
  if (t.label !== undefined) return ANY_LABELS.has(t.label.trim()) ? 'any' : t.label;
  return formatSet(t.pkg, t.set, exact);
}

export function isAny(t: Term): boolean {
  return t.set.isFull();
}

/** "foo ^1.0.0"; the root at its own version is just its name; "every version of foo" when allowed. */
export function terse(t: Term, allowEvery = false, exact = false): string {
  if (allowEvery && isAny(t)) return `every version of ${t.pkg.name}`;
  if (t.pkg.isRoot && t.set.has(0) && !t.set.has(1)) return t.pkg.name;
  return `${t.pkg.name} ${constraintOf(t, exact)}`;
}

/** A range as written, "any" for the ones that allow everything. */
export function formatRange(range: string): string {
  return ANY_LABELS.has(range.trim()) ? 'any' : range;
}
