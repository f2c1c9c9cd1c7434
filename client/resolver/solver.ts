import { UniError } from '../../protocol/errors.js';
import type { Arch } from '../../protocol/names.js';
import { incompatibility, isFailure, type Incompatibility } from './incompatibility.js';
import { setFor, type Pkg } from './package.js';
import { PartialSolution } from './partial-solution.js';
import { explain } from './report.js';
import type { DependencyProvider } from './dependency-provider.js';
import { difference, negate, Relation, term, type Term } from './term.js';
import { VersionSet } from './version-set.js';

export interface SolveStats {
  decisions: number;
  conflicts: number;
}

/** Backtracking this often means versions are being tried one by one; then look ahead (see freeDependencies). */
const EAGER_AFTER_CONFLICTS = 64;

const NONE = 0;
const CONFLICT = 1;

/**
 * PubGrub as in pub's version_solver.dart and pubgrub-rs: unit propagation over the
 * incompatibilities of changed packages, conflict-driven learning with backjumping, and a
 * decision on the package with the fewest candidates left, at its locked or newest version.
 */
export class Solver {
  private readonly solution = new PartialSolution();
  private readonly incompatibilities: Incompatibility[][] = [];
  private readonly excluded = new Set<Pkg>();
  private readonly expanded = new Set<Pkg>();
  readonly stats: SolveStats = { decisions: 0, conflicts: 0 };

  constructor(
    private readonly index: DependencyProvider,
    private readonly arch: Arch,
  ) {}

  async solve(): Promise<Map<Pkg, string>> {
    const root = this.index.root;
    this.add(incompatibility([term(root, false, VersionSet.of(2, [0]))], { kind: 'root' }));
    let next: Pkg = root;
    while (next !== null) {
      this.propagate(next);
      const pick = this.pick();
      if (pick === null) break;
      const [pkg, version] = pick;
      // Only a dependency not fetched yet costs a wait; most are in by now, thanks to prefetching.
      const names = version < 0 ? [] : pkg.depsOf(version).map(([name]) => name);
      if (names.some((n) => this.index.get(n) === undefined)) await this.index.loadAll(names);
      next = this.tryVersion(pkg, version);
    }
    const out = new Map<Pkg, string>();
    for (const pkg of this.solution.positive.keys()) {
      if (!pkg.isRoot) out.set(pkg, pkg.versions[this.solution.decidedVersion(pkg)]!);
    }
    return out;
  }

  private add(inc: Incompatibility): void {
    for (const t of inc.terms) (this.incompatibilities[t.pkg.id] ??= []).push(inc);
  }

  private propagate(start: Pkg): void {
    const changed = new Set<Pkg>([start]);
    while (changed.size > 0) {
      const pkg: Pkg = changed.values().next().value!;
      changed.delete(pkg);
      const list = this.incompatibilities[pkg.id] ?? [];
      // Newest first: learned incompatibilities are the most likely to bite (pub does the same).
      for (let i = list.length - 1; i >= 0; i--) {
        const inc = list[i]!;
        const result = this.propagateOne(inc);
        if (result === CONFLICT) {
          const rootCause = this.resolveConflict(inc);
          changed.clear();
          const derived = this.propagateOne(rootCause);
          if (typeof derived === 'object') changed.add(derived);
          break;
        }
        if (typeof result === 'object') changed.add(result);
      }
    }
  }

  /** Derives the one undecided term's negation, or reports a conflict when all terms hold. */
  private propagateOne(inc: Incompatibility): Pkg | typeof NONE | typeof CONFLICT {
    let unsatisfied: Term | undefined;
    for (const t of inc.terms) {
      const rel = this.solution.relation(t);
      if (rel === Relation.Contradicted) return NONE;
      if (rel === Relation.Inconclusive) {
        if (unsatisfied) return NONE;
        unsatisfied = t;
      }
    }
    if (!unsatisfied) return CONFLICT;
    this.solution.derive(negate(unsatisfied), inc);
    return unsatisfied.pkg;
  }

  private resolveConflict(start: Incompatibility): Incompatibility {
    this.stats.conflicts++;
    let inc = start;
    let learned = false;
    while (!isFailure(inc)) {
      let mostRecentTerm: Term | undefined;
      let mostRecent: ReturnType<PartialSolution['satisfier']> | undefined;
      let diff: Term | undefined;
      let previousLevel = 1;
      for (const t of inc.terms) {
        const satisfier = this.solution.satisfier(t);
        if (!mostRecent) {
          mostRecentTerm = t;
          mostRecent = satisfier;
        } else if (mostRecent.index < satisfier.index) {
          previousLevel = Math.max(previousLevel, mostRecent.decisionLevel);
          mostRecentTerm = t;
          mostRecent = satisfier;
          diff = undefined;
        } else {
          previousLevel = Math.max(previousLevel, satisfier.decisionLevel);
        }
        if (mostRecentTerm === t) {
          // The satisfier may allow more than the term; the excess must be ruled out by an
          // earlier assignment, whose level bounds how far we may jump back.
          const d = difference(mostRecent.term, t);
          diff = d.positive && d.set.isEmpty() ? undefined : d;
          if (diff) previousLevel = Math.max(previousLevel, this.solution.satisfier(negate(diff)).decisionLevel);
        }
      }
      if (previousLevel < mostRecent!.decisionLevel || mostRecent!.cause === null) {
        this.solution.backtrack(previousLevel);
        if (learned) this.add(inc);
        return inc;
      }
      const cause = mostRecent!.cause;
      const terms = inc.terms.filter((t) => t !== mostRecentTerm);
      for (const t of cause.terms) if (t.pkg !== mostRecent!.term.pkg) terms.push(t);
      if (diff) terms.push(negate(diff));
      inc = incompatibility(terms, { kind: 'conflict', conflict: inc, other: cause });
      learned = true;
    }
    throw new UniError('unsatisfiable', explain(inc, this.arch));
  }

  /** The package with the fewest candidates left (first come on ties), at its locked or newest one. */
  private pick(): [Pkg, number] | null {
    let best: Pkg | undefined;
    let bestTerm: Term | undefined;
    let bestCount = Infinity;
    for (const [pkg, t] of this.solution.undecided) {
      const count = pkg.locked >= 0 && t.set.has(pkg.locked) && pkg.allowed.has(pkg.locked) ? 1 : t.set.countWith(pkg.allowed);
      if (count < bestCount) {
        best = pkg;
        bestTerm = t;
        bestCount = count;
        // Nothing beats a single candidate except none, which propagation has already ruled out.
        if (count <= 1) break;
      }
    }
    if (!best || !bestTerm) return null;
    const candidates = bestTerm.set.intersect(best.allowed);
    return [best, best.locked >= 0 && candidates.has(best.locked) ? best.locked : candidates.highest()];
  }

  /** Adds the version's dependencies and decides it, unless they already conflict (then propagation finds out). */
  private tryVersion(pkg: Pkg, version: number): Pkg {
    if (version < 0) {
      this.add(incompatibility([this.solution.undecided.get(pkg)!], { kind: 'noVersions' }));
      return pkg;
    }
    let conflict = false;
    for (const inc of this.dependencies(pkg, version)) {
      this.add(inc);
      conflict ||= inc.terms.every((t) => (t.pkg === pkg ? t.positive && t.set.has(version) : this.solution.satisfies(t)));
    }
    if (!conflict) {
      this.solution.decide(pkg, version);
      this.stats.decisions++;
    }
    return pkg;
  }

  /**
   * One incompatibility per dependency of `pkg` at `version`, covering every adjacent version
   * with the same requirement on that dependency (pub's merging), skipping what earlier calls
   * already covered. A newly loaded dependency brings the incompatibilities that rule out its
   * versions for this architecture or yanked.
   */
  private dependencies(pkg: Pkg, version: number): Incompatibility[] {
    const out = this.dependenciesOf(pkg, version);
    if (this.stats.conflicts >= EAGER_AFTER_CONFLICTS && !this.expanded.has(pkg)) {
      this.expanded.add(pkg);
      out.push(...this.freeDependencies(pkg, version));
    }
    return out;
  }

  /**
   * Once solving has backtracked often, the first time a package is tried the requirements of
   * its other candidates whose dependencies are already loaded are added too: they cost no
   * I/O, and knowing them lets propagation rule out doomed versions at once instead of trying
   * them one by one (a long chain of exact pins otherwise costs one descent per version).
   * Earlier they would only slow down the common case, which backtracks little or not at all.
   */
  private freeDependencies(pkg: Pkg, tried: number): Incompatibility[] {
    const out: Incompatibility[] = [];
    for (let i = pkg.versions.length - 1; i >= 0; i--) {
      if (i === tried || !pkg.allowed.has(i)) continue;
      if (!pkg.depsOf(i).every(([name]) => this.index.get(name) !== undefined)) continue;
      try {
        out.push(...this.dependenciesOf(pkg, i));
      } catch {
        // A bad range in a version nobody picked stays unreported until that version is tried.
      }
    }
    return out;
  }

  private dependenciesOf(pkg: Pkg, version: number): Incompatibility[] {
    const deps = pkg.depsOf(version).filter(([name]) => pkg.listed.get(name)?.[version] !== true);
    const targets = deps.map(([name]) => this.index.get(name)!);
    for (const target of targets) this.addExclusions(target);
    const out: Incompatibility[] = [];
    const who = pkg.isRoot ? pkg.name : `${pkg.name} ${pkg.versions[version]}`;
    deps.forEach(([name, range], k) => {
      const [lo, hi] = sameDependencyRun(pkg, version, name, range);
      let listed = pkg.listed.get(name);
      if (!listed) pkg.listed.set(name, (listed = []));
      for (let i = lo; i <= hi; i++) listed[i] = true;
      const run = VersionSet.range(pkg.versions.length, lo, hi);
      const depender = term(pkg, true, run);
      const target = targets[k]!;
      const set = setFor(target, range, who);
      if (target === pkg) {
        // A package that requires itself: only the versions outside the range are ruled out.
        const excluded = run.minus(set);
        if (!excluded.isEmpty()) out.push(incompatibility([term(pkg, true, excluded)], { kind: 'self', range }));
      } else if (set.isEmpty()) {
        const missing = { kind: 'missing' as const, dependency: name, range };
        out.push(incompatibility([depender], target.notFound ? { ...missing, notFound: target.notFound } : missing));
      } else {
        out.push(incompatibility([depender, term(target, false, set, range)], { kind: 'dependency' }));
      }
    });
    return out;
  }

  private addExclusions(pkg: Pkg): void {
    if (this.excluded.has(pkg)) return;
    this.excluded.add(pkg);
    if (!pkg.noArch.isEmpty()) this.add(incompatibility([term(pkg, true, pkg.noArch)], { kind: 'arch', arch: this.arch }));
    if (!pkg.yanked.isEmpty()) this.add(incompatibility([term(pkg, true, pkg.yanked)], { kind: 'yanked' }));
  }
}

/** The versions around `version` that require `name` with the very same range. */
function sameDependencyRun(pkg: Pkg, version: number, name: string, range: string): [number, number] {
  const same = (i: number): boolean => pkg.depsOf(i).some(([n, r]) => n === name && r === range);
  let lo = version;
  while (lo > 0 && same(lo - 1)) lo--;
  let hi = version;
  while (hi < pkg.versions.length - 1 && same(hi + 1)) hi++;
  return [lo, hi];
}
