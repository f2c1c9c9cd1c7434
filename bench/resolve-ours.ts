import { parentPort, workerData } from 'node:worker_threads';
import { isUniError } from '../protocol/errors.js';
import { resolve, type SolveStats } from '../client/resolver/index.js';
import type { PackageSource, PackageVersionInfo } from '../client/types.js';
import { cpuSince, type Outcome } from './resolve-outcome.js';
import { shapeByName, type Shape } from './resolve-shapes.js';

export function sourceOf(shape: Shape): PackageSource {
  const infos = new Map<string, PackageVersionInfo[]>();
  for (const [name, versions] of shape.packages) {
    infos.set(
      name,
      versions.map((x) => ({
        version: x.version,
        dependencies: Object.fromEntries(Object.entries(x.deps).map(([d, r]) => [d, r.npm])),
        yanked: false,
        arches: ['x86_64', 'aarch64'],
      })),
    );
  }
  return { versions: async (pkg) => infos.get(pkg) ?? [] };
}

export async function runOurs(shape: Shape, source: PackageSource, stats: SolveStats): Promise<Outcome> {
  const root = Object.fromEntries(Object.entries(shape.root).map(([d, r]) => [d, r.npm]));
  const cpu = process.cpuUsage();
  const start = performance.now();
  try {
    const solution = await resolve({ root, arch: 'x86_64', source, stats });
    return { ms: performance.now() - start, cpuMs: cpuSince(cpu), solution };
  } catch (e) {
    if (!isUniError(e) || e.code !== 'unsatisfiable') throw e;
    return { ms: performance.now() - start, cpuMs: cpuSince(cpu), solution: null };
  }
}

// The cold condition, as one `uni lock`: the first run in a fresh isolate. Loading the modules
// and building the source happen before the clock starts, as the peer's WebAssembly is compiled
// before its clock starts.
if (parentPort && workerData) {
  const shape = shapeByName((workerData as { shape: string }).shape);
  parentPort.postMessage(await runOurs(shape, sourceOf(shape), { decisions: 0, conflicts: 0 }));
}
