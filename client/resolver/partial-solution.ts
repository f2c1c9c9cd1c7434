import type { Incompatibility } from './incompatibility.js';
import type { Pkg } from './package.js';
import { intersect, relation, satisfies, term, Relation, type Term } from './term.js';
import { VersionSet } from './version-set.js';

/** A decision (cause null) or a derivation, at a decision level, in the order it was made. */
export interface Assignment {
  readonly term: Term;
  readonly decisionLevel: number;
  readonly index: number;
  readonly cause: Incompatibility | null;
}

interface PackageState {
  /** This package's assignments, each with the intersection of it and all before it. */
  history: Array<{ assignment: Assignment; accumulated: Term }>;
  decided: number;
}

/**
 * The assignments made so far. Per package it keeps the history of accumulated terms, so that
 * finding the satisfier of a term is a binary search over that package's assignments (the
 * accumulated term only narrows) rather than a scan of the whole solution.
 */
export class PartialSolution {
  private readonly assignments: Assignment[] = [];
  private readonly states: PackageState[] = [];
  private decisionCount = 0;
  /**
   * Packages with a positive accumulated term, in the order they became positive: the decision
   * heuristic breaks ties by this order, as pub does.
   */
  readonly positive = new Map<Pkg, Term>();
  /** The packages of `positive` not yet decided, in the same order: what is left to decide. */
  readonly undecided = new Map<Pkg, Term>();

  /** The root's decision is level 1, so conflict resolution (starting at 1) never undoes it. */
  get decisionLevel(): number {
    return this.decisionCount;
  }

  get attempted(): number {
    return this.decisionCount;
  }

  decide(pkg: Pkg, version: number): void {
    this.decisionCount++;
    this.state(pkg).decided = version;
    this.undecided.delete(pkg);
    this.assign(term(pkg, true, VersionSet.of(pkg.versions.length, [version])), null);
  }

  derive(t: Term, cause: Incompatibility): void {
    this.assign(t, cause);
  }

  decidedVersion(pkg: Pkg): number {
    return this.states[pkg.id]?.decided ?? -1;
  }

  /** What is known of `pkg`, or undefined when nothing is. */
  known(pkg: Pkg): Term | undefined {
    const h = this.states[pkg.id]?.history;
    return h && h.length > 0 ? h[h.length - 1]!.accumulated : undefined;
  }

  relation(t: Term): Relation {
    const known = this.known(t.pkg);
    return known ? relation(known, t) : Relation.Inconclusive;
  }

  satisfies(t: Term): boolean {
    return this.relation(t) === Relation.Satisfied;
  }

  /** The earliest assignment after which `t` is satisfied. */
  satisfier(t: Term): Assignment {
    const h = this.states[t.pkg.id]!.history;
    let lo = 0;
    let hi = h.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (satisfies(h[mid]!.accumulated, t)) hi = mid;
      else lo = mid + 1;
    }
    return h[lo]!.assignment;
  }

  /** Undoes every assignment made above `level`. */
  backtrack(level: number): void {
    const touched = new Set<Pkg>();
    while (this.assignments.length > 0 && this.assignments[this.assignments.length - 1]!.decisionLevel > level) {
      const removed = this.assignments.pop()!;
      const pkg = removed.term.pkg;
      const st = this.states[pkg.id]!;
      st.history.pop();
      if (removed.cause === null) {
        st.decided = -1;
        this.decisionCount--;
      }
      touched.add(pkg);
    }
    // pub re-registers the surviving assignments of the touched packages in order, which
    // moves those packages to the end of the positive map; the tie-break order depends on it.
    const reinsert: Array<[number, Pkg, Term]> = [];
    for (const pkg of touched) {
      this.positive.delete(pkg);
      this.undecided.delete(pkg);
      const h = this.states[pkg.id]!.history;
      const first = h.findIndex((e) => e.accumulated.positive);
      if (first >= 0) reinsert.push([h[first]!.assignment.index, pkg, h[h.length - 1]!.accumulated]);
    }
    reinsert.sort((a, b) => a[0] - b[0]);
    for (const [, pkg, acc] of reinsert) {
      this.positive.set(pkg, acc);
      if (this.states[pkg.id]!.decided < 0) this.undecided.set(pkg, acc);
    }
  }

  private state(pkg: Pkg): PackageState {
    let st = this.states[pkg.id];
    if (!st) {
      st = { history: [], decided: -1 };
      this.states[pkg.id] = st;
    }
    return st;
  }

  private assign(t: Term, cause: Incompatibility | null): void {
    const assignment: Assignment = { term: t, decisionLevel: this.decisionLevel, index: this.assignments.length, cause };
    this.assignments.push(assignment);
    const st = this.state(t.pkg);
    const prev = st.history.length > 0 ? st.history[st.history.length - 1]!.accumulated : undefined;
    const accumulated = prev ? intersect(prev, t) : t;
    st.history.push({ assignment, accumulated });
    if (accumulated.positive) {
      this.positive.set(t.pkg, accumulated);
      if (st.decided < 0) this.undecided.set(t.pkg, accumulated);
    }
  }
}
