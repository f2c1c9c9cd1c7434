import type { Pkg } from './package.js';
import type { VersionSet } from './version-set.js';

/**
 * A statement about one package: positive "pkg is selected at a version in set", negative
 * "pkg is not selected at a version in set" (which includes "pkg is not selected at all").
 * `label` is the range as the user or publisher wrote it; it survives set operations only
 * while the set is unchanged, so that explanations quote what people wrote.
 */
export interface Term {
  readonly pkg: Pkg;
  readonly positive: boolean;
  readonly set: VersionSet;
  readonly label?: string;
}

export const Relation = { Satisfied: 0, Contradicted: 1, Inconclusive: 2 } as const;
export type Relation = (typeof Relation)[keyof typeof Relation];

export function term(pkg: Pkg, positive: boolean, set: VersionSet, label?: string): Term {
  // Always the same four fields, so that property access stays monomorphic in the hot loops.
  return { pkg, positive, set, label };
}

export function negate(t: Term): Term {
  return term(t.pkg, !t.positive, t.set, t.label);
}

function keepLabel(set: VersionSet, positive: boolean, a: Term, b: Term): string | undefined {
  if (a.label !== undefined && a.positive === positive && a.set.equals(set)) return a.label;
  if (b.label !== undefined && b.positive === positive && b.set.equals(set)) return b.label;
  return undefined;
}

export function intersect(a: Term, b: Term): Term {
  // Plain assignments, not `[positive, set] = [...]`: until V8 optimizes this function (all of
  // a cold solve), array destructuring runs the iterator protocol on every call.
  const positive = a.positive || b.positive;
  let set: VersionSet;
  if (a.positive && b.positive) set = a.set.intersect(b.set);
  else if (a.positive) set = a.set.minus(b.set);
  else if (b.positive) set = b.set.minus(a.set);
  else set = a.set.union(b.set);
  return term(a.pkg, positive, set, keepLabel(set, positive, a, b));
}

export function union(a: Term, b: Term): Term {
  return negate(intersect(negate(a), negate(b)));
}

export function difference(a: Term, b: Term): Term {
  return intersect(a, negate(b));
}

/** A term that no assignment can satisfy. */
export function isEmpty(t: Term): boolean {
  return t.positive && t.set.isEmpty();
}

/** Every selection that satisfies `a` satisfies `b`. */
export function satisfies(a: Term, b: Term): boolean {
  if (a.positive && b.positive) return a.set.subsetOf(b.set);
  if (a.positive) return a.set.disjointFrom(b.set);
  if (b.positive) return false;
  return b.set.subsetOf(a.set);
}

/** How `b` stands given that `a` (what is known of the package) holds. */
export function relation(a: Term, b: Term): Relation {
  if (a.positive) {
    const only = a.set.single();
    if (only >= 0) return b.set.has(only) === b.positive ? Relation.Satisfied : Relation.Contradicted;
  }
  if (satisfies(a, b)) return Relation.Satisfied;
  if (a.positive && b.positive && a.set.disjointFrom(b.set)) return Relation.Contradicted;
  if (a.positive && !b.positive && a.set.subsetOf(b.set)) return Relation.Contradicted;
  if (!a.positive && b.positive && b.set.subsetOf(a.set)) return Relation.Contradicted;
  return Relation.Inconclusive;
}
