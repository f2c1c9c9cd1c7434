import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { cpuSince, type Outcome } from './resolve-outcome.js';
import { shapeByName, type Shape } from './resolve-shapes.js';

interface ElmSolver {
  init(): void;
  solve_deps(root: string, useTest: boolean, extra: Record<string, string>, fetch: (pkg: string, version: string) => string, list: (pkg: string) => string[]): string;
}

const elmJson = (name: string, version: string, deps: Record<string, string>): string =>
  JSON.stringify({
    type: 'package',
    name,
    summary: 'bench',
    license: 'BSD-3-Clause',
    version,
    'exposed-modules': [],
    'elm-version': '0.19.0 <= v < 0.20.0',
    dependencies: deps,
    'test-dependencies': {},
  });

/**
 * elm-solve-deps-wasm (pubgrub-rs compiled to WebAssembly) ready to solve a shape: the returned
 * function times one run. The WebAssembly is compiled and the elm.json texts built here, before
 * any clock starts, so the peer pays only for solving and the callbacks.
 */
function peerSolver(shape: Shape): () => Outcome {
  const require = createRequire(import.meta.url);
  const wasm = require('elm-solve-deps-wasm') as ElmSolver;
  wasm.init();
  const docs = new Map<string, string>();
  const lists = new Map<string, string[]>();
  for (const [name, versions] of shape.packages) {
    lists.set(name, versions.map((x) => x.version).reverse());
    for (const x of versions) {
      docs.set(`${name}@${x.version}`, elmJson(name, x.version, Object.fromEntries(Object.entries(x.deps).map(([d, r]) => [d, r.elm]))));
    }
  }
  const root = elmJson('bench/root', '1.0.0', Object.fromEntries(Object.entries(shape.root).map(([d, r]) => [d, r.elm])));
  return () => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    let solution: Record<string, string> | null = null;
    try {
      const out = JSON.parse(wasm.solve_deps(root, false, {}, (pkg, version) => docs.get(`${pkg}@${version}`)!, (pkg) => lists.get(pkg) ?? [])) as {
        direct: Record<string, string>;
        indirect: Record<string, string>;
      };
      solution = { ...out.direct, ...out.indirect };
    } catch {
      solution = null;
    }
    return { ms: performance.now() - start, cpuMs: cpuSince(cpu), solution };
  };
}

// In a worker thread, so that a run that does not finish can be stopped without ending the
// benchmark. Each run is posted as it ends, so that the time limit applies to every run.
if (parentPort && workerData) {
  const { shape, runs, warmupMs } = workerData as { shape: string; runs: number; warmupMs: number };
  const solve = peerSolver(shapeByName(shape));
  // Warm-up runs are only announced, so that the time limit applies to each of them too.
  for (const t0 = performance.now(); warmupMs > 0 && performance.now() - t0 < warmupMs; ) {
    solve();
    parentPort.postMessage('warmed-once');
  }
  for (let i = 0; i < runs; i++) parentPort.postMessage(solve());
}
