import type { Arch } from '../../protocol/names.js';
import type { PackageSource } from '../types.js';
import { Solver, type SolveStats } from './solver.js';
import { DependencyProvider } from './dependency-provider.js';

export interface ResolveInput {
  /** Requirements of the root: canonical package names to npm ranges. */
  root: Record<string, string>;
  arch: Arch;
  source: PackageSource;
  /** Versions from the lockfile: chosen whenever they still satisfy every constraint. */
  locked?: Record<string, string>;
  /** A range per package that replaces every other constraint on it; it also makes the package a requirement. */
  overrides?: Record<string, string>;
  /** How explanations name the root; also the name packages use to depend on it. */
  rootName?: string;
  rootVersion?: string;
  /** Receives the decision and conflict counts (for benchmarks and --debug). */
  stats?: SolveStats;
}

export type Solution = Record<string, string>;

/**
 * Picks one version per package so that every requirement holds, for one architecture.
 * Throws UniError('unsatisfiable', explanation) when no such choice exists; the explanation
 * is a derivation a person can follow, in pub's words.
 */
export async function resolve(input: ResolveInput): Promise<Solution> {
  const overrides = input.overrides ?? {};
  const index = new DependencyProvider({
    source: input.source,
    arch: input.arch,
    locked: input.locked ?? {},
    overrides,
    rootName: input.rootName ?? 'root',
    rootVersion: input.rootVersion ?? '0.0.0',
    rootDeps: { ...input.root, ...overrides },
  });
  const solver = new Solver(index, input.arch);
  try {
    const solution = await solver.solve();
    const out: Solution = {};
    for (const [pkg, version] of [...solution].sort((a, b) => (a[0].name < b[0].name ? -1 : a[0].name > b[0].name ? 1 : 0))) {
      out[pkg.name] = version;
    }
    return out;
  } finally {
    index.stop();
    if (input.stats) Object.assign(input.stats, solver.stats);
  }
}

export type { SolveStats };
