import type { Arch } from '../../protocol/names.js';
import { intersect, type Term } from './term.js';

/** Why a set of terms cannot all hold. */
export type Cause =
  /** The root must be selected at its own version. */
  | { kind: 'root' }
  /** A range of versions of the first term's package depends on the second term's package. */
  | { kind: 'dependency' }
  /** The term's versions depend on a package range that matches nothing (or a package that does not exist). */
  | { kind: 'missing'; dependency: string; range: string; notFound?: string }
  /** The term's versions depend on their own package at a range that excludes them. */
  | { kind: 'self'; range: string }
  /** No candidate version is left in the term's set. */
  | { kind: 'noVersions' }
  | { kind: 'arch'; arch: Arch }
  | { kind: 'yanked' }
  /** Derived during conflict resolution from two earlier incompatibilities. */
  | { kind: 'conflict'; conflict: Incompatibility; other: Incompatibility };

export interface Incompatibility {
  readonly id: number;
  readonly terms: readonly Term[];
  readonly cause: Cause;
}

let nextId = 0;

/**
 * Builds an incompatibility the way pub does: a positive root term is dropped from derived
 * ones (the root is always selected, so it only adds noise to explanations), and several terms
 * about one package are merged into one.
 */
export function incompatibility(terms: readonly Term[], cause: Cause): Incompatibility {
  let list = terms;
  if (list.length !== 1 && cause.kind === 'conflict' && list.some((t) => t.positive && t.pkg.isRoot)) {
    list = list.filter((t) => !(t.positive && t.pkg.isRoot));
  }
  if (list.length > 2 || (list.length === 2 && list[0]!.pkg === list[1]!.pkg)) {
    const byPkg = new Map<number, Term>();
    for (const t of list) {
      const prev = byPkg.get(t.pkg.id);
      byPkg.set(t.pkg.id, prev ? intersect(prev, t) : t);
    }
    list = [...byPkg.values()];
  }
  return { id: nextId++, terms: list, cause };
}

/** Solving failed once the root itself (or nothing at all) is incompatible. */
export function isFailure(inc: Incompatibility): boolean {
  return inc.terms.length === 0 || (inc.terms.length === 1 && inc.terms[0]!.positive && inc.terms[0]!.pkg.isRoot);
}
