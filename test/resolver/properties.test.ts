import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { resolve } from '../../client/resolver/index.js';
import type { Arch } from '../../protocol/names.js';
import { isUniError } from '../../protocol/errors.js';
import type { PackageSource, PackageVersionInfo } from '../../client/types.js';

// A pre-release among them exercises npm's rule (it matches only ranges that name one).
const VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '2.0.0-rc.1', '2.0.0', '2.1.0', '3.0.0'];
const RANGES = ['*', '^1.0.0', '^2.0.0', '~1.1.0', '>=1.1.0 <2.1.0', '1.2.0', '2.0.0', '<2.0.0', '>=2.0.0', '^3.0.0', '>1.0.0 <1.2.0 || 3.0.0', '^2.0.0-rc.1', '>=1.1.0 <=2.1.0'];

type Registry = Record<string, PackageVersionInfo[]>;
interface World {
  registry: Registry;
  root: Record<string, string>;
}

const name = (i: number): string => `p${i}`;

/** Up to 12 packages of up to 7 versions; dependencies may form cycles; some versions lack an arch or are yanked. */
const world: fc.Arbitrary<World> = fc.integer({ min: 1, max: 12 }).chain((n) => {
  const dep = fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constantFrom(...RANGES));
  const version = fc.record({
    deps: fc.array(dep, { maxLength: 3 }),
    yanked: fc.boolean({ probability: 0.1 }),
    arm: fc.boolean({ probability: 0.8 }),
  });
  const pkg = fc.subarray(VERSIONS, { minLength: 1 }).chain((vs) => fc.tuple(fc.constant(vs), fc.array(version, { minLength: vs.length, maxLength: vs.length })));
  return fc.record({
    packages: fc.array(pkg, { minLength: n, maxLength: n }),
    root: fc.array(dep, { minLength: 1, maxLength: 3 }),
  }).map(({ packages, root }) => {
    const registry: Registry = {};
    packages.forEach(([versions, infos], i) => {
      registry[name(i)] = versions.map((v, k) => ({
        version: v,
        dependencies: Object.fromEntries(infos[k]!.deps.map(([d, r]) => [name(d), r])),
        yanked: infos[k]!.yanked,
        arches: infos[k]!.arm ? ['x86_64', 'aarch64'] : ['x86_64'],
      }));
    });
    return { registry, root: Object.fromEntries(root.map(([d, r]) => [name(d), r])) };
  });
});

function sourceOf(registry: Registry): PackageSource {
  return { versions: async (pkg) => registry[pkg] ?? [] };
}

function candidates(registry: Registry, pkg: string, arch: Arch): PackageVersionInfo[] {
  return (registry[pkg] ?? []).filter((v) => v.arches.includes(arch) && !v.yanked);
}

/** Checks every requirement of the root and of every chosen version, and that nothing unneeded is chosen. */
function check(w: World, arch: Arch, solution: Record<string, string>): void {
  const needed = new Set<string>();
  const require = (deps: Record<string, string>): void => {
    for (const [d, r] of Object.entries(deps)) {
      needed.add(d);
      expect(solution[d], `${d} is chosen`).toBeDefined();
      expect(semver.satisfies(solution[d]!, r), `${d} ${solution[d]} satisfies ${r}`).toBe(true);
    }
  };
  require(w.root);
  for (const [pkg, version] of Object.entries(solution)) {
    const info = candidates(w.registry, pkg, arch).find((v) => v.version === version);
    expect(info, `${pkg} ${version} is a candidate for ${arch}`).toBeDefined();
    require(info!.dependencies);
  }
  expect(Object.keys(solution).sort()).toEqual([...needed].sort());
}

/** Plain backtracking over every candidate of every needed package: slow, obviously complete. */
function exhaustive(w: World, arch: Arch): boolean {
  const search = (chosen: Map<string, string>, todo: Array<[string, string]>): boolean => {
    if (todo.length === 0) return true;
    const [[pkg, range], ...rest] = todo as [[string, string], ...Array<[string, string]>];
    const have = chosen.get(pkg);
    if (have !== undefined) return semver.satisfies(have, range) && search(chosen, rest);
    for (const v of candidates(w.registry, pkg, arch)) {
      if (!semver.satisfies(v.version, range)) continue;
      const next = new Map(chosen).set(pkg, v.version);
      if (search(next, [...rest, ...Object.entries(v.dependencies)])) return true;
    }
    return false;
  };
  return search(new Map(), Object.entries(w.root));
}

async function outcome(w: World, arch: Arch): Promise<{ ok: true; solution: Record<string, string> } | { ok: false; error: string }> {
  try {
    return { ok: true, solution: await resolve({ root: w.root, arch, source: sourceOf(w.registry) }) };
  } catch (e) {
    if (isUniError(e) && e.code === 'unsatisfiable') return { ok: false, error: e.message };
    throw e;
  }
}

describe('resolver properties on random registries', () => {
  const arch = fc.constantFrom<Arch>('x86_64', 'aarch64');

  it('returns a solution that satisfies every constraint, or fails only when none exists', async () => {
    await fc.assert(
      fc.asyncProperty(world, arch, async (w, a) => {
        const result = await outcome(w, a);
        if (result.ok) check(w, a, result.solution);
        else expect(exhaustive(w, a), `exhaustive search finds no solution either:\n${result.error}`).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same answer for the same input', async () => {
    await fc.assert(
      fc.asyncProperty(world, arch, async (w, a) => {
        expect(await outcome(w, a)).toEqual(await outcome(w, a));
      }),
      { numRuns: 150 },
    );
  });

  it('keeps a locked version whenever it still satisfies', async () => {
    await fc.assert(
      fc.asyncProperty(world, arch, async (w, a) => {
        const first = await outcome(w, a);
        if (!first.ok) return;
        const again = await resolve({ root: w.root, arch: a, source: sourceOf(w.registry), locked: first.solution });
        expect(again).toEqual(first.solution);
      }),
      { numRuns: 150 },
    );
  });
});
