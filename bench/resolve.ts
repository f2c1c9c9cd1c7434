import { Worker } from 'node:worker_threads';
import semver from 'semver';
import { isUniError } from '../schemas/errors.js';
import { resolve, type SolveStats } from '../client/resolver/index.js';
import type { PackageSource, PackageVersionInfo } from '../client/types.js';
import { SHAPES, shapeByName, type Shape } from './resolve-shapes.js';

/**
 * `npm run bench:resolve`: the shapes of pubgrub-rs's benchmarks through unipkg's resolver and
 * through elm-solve-deps-wasm (pubgrub-rs in WebAssembly), over the same in-memory index, in
 * one process. Prints the median of several runs of each; not a pass/fail test.
 */

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 8);
const PEER_TIMEOUT_MS = Number(process.env['BENCH_PEER_TIMEOUT_MS'] ?? 60_000);

interface Outcome {
  ms: number;
  /** CPU time of the process over the run: on a shared machine, wall time mostly measures the neighbours. */
  cpuMs: number;
  solution: Record<string, string> | null;
}

const cpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

function sourceOf(shape: Shape): PackageSource {
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

async function runOurs(shape: Shape, source: PackageSource, stats: SolveStats): Promise<Outcome> {
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

/** One peer run in a worker thread; undefined when it does not finish in time. */
function runPeer(shape: string): Promise<Outcome | undefined> {
  return new Promise((done, fail) => {
    const worker = new Worker(new URL('./resolve-peer.js', import.meta.url), { workerData: { shape } });
    const timer = setTimeout(() => {
      void worker.terminate();
      done(undefined);
    }, PEER_TIMEOUT_MS);
    worker.once('message', (m: Outcome) => {
      clearTimeout(timer);
      void worker.terminate();
      done(m);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Whether a solution meets every requirement of the root and of each chosen version. */
function valid(shape: Shape, solution: Record<string, string>): boolean {
  const holds = (deps: Record<string, { npm: string }>): boolean =>
    Object.entries(deps).every(([d, r]) => solution[d] !== undefined && semver.satisfies(solution[d]!, r.npm));
  return (
    holds(shape.root) &&
    Object.entries(solution).every(([name, version]) => {
      const entry = shape.packages.get(name)?.find((x) => x.version === version);
      return entry !== undefined && holds(entry.deps);
    })
  );
}

function sameSolution(a: Record<string, string> | null, b: Record<string, string> | null): boolean {
  if (a === null || b === null) return a === b;
  const ka = Object.keys(a).sort();
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const rows: string[][] = [['shape', 'unipkg', 'elm-solve-deps-wasm', 'ratio', 'cpu: unipkg', 'peer', 'ratio', 'decisions', 'conflicts', 'result']];
  for (const key of only.length > 0 ? only : SHAPES) {
    const shape = shapeByName(key);
    const stats: SolveStats = { decisions: 0, conflicts: 0 };
    const ours: Outcome[] = [];
    // Built once, as the peer's elm.json texts are: both sides pay only for solving.
    const source = sourceOf(shape);
    // Untimed runs first let V8 compile the hot paths (criterion warms up pubgrub-rs the same
    // way). No forced collection in between: a full GC makes V8 drop compiled code and start
    // over. The peer's WebAssembly is compiled before its clock starts.
    for (let i = 0; i < WARMUP; i++) await runOurs(shape, source, { decisions: 0, conflicts: 0 });
    for (let i = 0; i < RUNS; i++) ours.push(await runOurs(shape, source, stats));
    const peer: Outcome[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await runPeer(key);
      if (!run) break;
      peer.push(run);
    }
    const oursMs = median(ours.map((o) => o.ms));
    const peerMs = peer.length > 0 ? median(peer.map((o) => o.ms)) : undefined;
    const oursCpu = median(ours.map((o) => o.cpuMs));
    const peerCpu = peer.length > 0 ? median(peer.map((o) => o.cpuMs)) : undefined;
    const result = ours[0]!.solution === null ? 'unsatisfiable' : `${Object.keys(ours[0]!.solution).length} packages`;
    const mine = ours[0]!.solution;
    const theirs = peer[0]?.solution ?? null;
    let agree = '';
    if (mine !== null && !valid(shape, mine)) agree = ' (INVALID solution)';
    else if (peer.length > 0 && !sameSolution(mine, theirs)) {
      agree = theirs !== null && mine !== null && valid(shape, theirs) ? ' (another valid solution than the peer)' : ' (peer disagrees)';
    }
    rows.push([
      shape.name,
      fmt(oursMs),
      peerMs === undefined ? `> ${fmt(PEER_TIMEOUT_MS)}` : fmt(peerMs),
      peerMs === undefined ? `> ${(PEER_TIMEOUT_MS / oursMs).toFixed(1)}x` : `${(peerMs / oursMs).toFixed(1)}x`,
      fmt(oursCpu),
      peerCpu === undefined ? '-' : fmt(peerCpu),
      peerCpu === undefined ? '-' : `${(peerCpu / oursCpu).toFixed(1)}x`,
      String(stats.decisions),
      String(stats.conflicts),
      result + agree,
    ]);
    process.stderr.write(`${rows[rows.length - 1]!.join('  ')}\n`);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) process.stdout.write(`${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()}\n`);
}

await main();
