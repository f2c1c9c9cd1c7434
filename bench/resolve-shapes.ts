/**
 * The shapes of pubgrub-rs's benchmarks, as one in-memory index that both resolvers read: each
 * requirement is written in npm syntax for unipkg and in elm.json syntax for the peer.
 */
export interface Requirement {
  npm: string;
  elm: string;
}

export interface Shape {
  name: string;
  /** name → versions, oldest first, each with its requirements. */
  packages: Map<string, Array<{ version: string; deps: Record<string, Requirement> }>>;
  root: Record<string, Requirement>;
}

const v = (k: number): string => `${k}.0.0`;
const exactly = (k: number): Requirement => ({ npm: v(k), elm: `${v(k)} <= v < ${k}.0.1` });
const between = (lo: number, hi: number): Requirement => ({ npm: `>=${v(lo)} <${v(hi)}`, elm: `${v(lo)} <= v < ${v(hi)}` });
const ANY: Requirement = { npm: '*', elm: '0.0.0 <= v < 1000000.0.0' };
const p = (i: number): string => `bench/p${i}`;

/** Package i depends on 2i+1 and 2i+2; one version each. */
export function binaryTree(n: number): Shape {
  const packages: Shape['packages'] = new Map();
  for (let i = 0; i < n; i++) {
    const deps: Record<string, Requirement> = {};
    for (const c of [2 * i + 1, 2 * i + 2]) if (c < n) deps[p(c)] = exactly(1);
    packages.set(p(i), [{ version: v(1), deps }]);
  }
  return { name: `binary tree ${n.toLocaleString('en')}`, packages, root: { [p(0)]: ANY } };
}

/** Package i at version k depends on package i+1 at exactly k. */
function chain(n: number, versions: number): Shape['packages'] {
  const packages: Shape['packages'] = new Map();
  for (let i = 0; i < n; i++) {
    const list = [];
    for (let k = 1; k <= versions; k++) list.push({ version: v(k), deps: i + 1 < n ? { [p(i + 1)]: exactly(k) } : {} });
    packages.set(p(i), list);
  }
  return packages;
}

/** The root pins the last package to its oldest version, so every newest choice must be undone. */
export function singletons(n: number, versions: number): Shape {
  return { name: `singletons ${n} x ${versions}`, packages: chain(n, versions), root: { [p(0)]: ANY, [p(n - 1)]: exactly(1) } };
}

/** As singletons, plus a top package needing the last package at its newest version: unsatisfiable. */
export function disjoint(n: number, versions: number): Shape {
  const packages = chain(n, versions);
  const top = [];
  for (let k = 1; k <= versions; k++) top.push({ version: v(k), deps: { [p(n - 1)]: exactly(versions) } });
  packages.set('bench/top', top);
  return { name: `disjoint ${n} x ${versions}`, packages, root: { 'bench/top': ANY, [p(0)]: ANY, [p(n - 1)]: exactly(1) } };
}

/** mulberry32: a small seeded generator, so every run builds the same graph. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 0-3 dependencies per version toward higher-numbered packages, each with a random range. */
export function randomDag(n: number, versions: number, seed = 42): Shape {
  const rnd = random(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const packages: Shape['packages'] = new Map();
  for (let i = 0; i < n; i++) {
    const list = [];
    for (let k = 1; k <= versions; k++) {
      const deps: Record<string, Requirement> = {};
      const count = i + 1 < n ? int(0, 3) : 0;
      for (let d = 0; d < count; d++) {
        const lo = int(1, versions);
        deps[p(int(i + 1, n - 1))] = between(lo, int(lo + 1, versions + 1));
      }
      list.push({ version: v(k), deps });
    }
    packages.set(p(i), list);
  }
  const root: Record<string, Requirement> = {};
  for (let i = 0; i < Math.min(5, n); i++) root[p(i)] = ANY;
  return { name: `random ${n.toLocaleString('en')} x ${versions}`, packages, root };
}

export function shapeByName(name: string): Shape {
  const all: Record<string, () => Shape> = {
    tree1000: () => binaryTree(1000),
    tree5000: () => binaryTree(5000),
    single20: () => singletons(20, 50),
    single100: () => singletons(100, 500),
    disjoint: () => disjoint(300, 200),
    random200: () => randomDag(200, 30),
    random2000: () => randomDag(2000, 20),
  };
  const make = all[name];
  if (!make) throw new Error(`unknown shape ${name}`);
  return make();
}

export const SHAPES = ['tree1000', 'tree5000', 'single20', 'single100', 'disjoint', 'random200', 'random2000'];
