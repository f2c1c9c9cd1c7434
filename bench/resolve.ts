import { Worker } from 'node:worker_threads';
import semver from 'semver';
import type { SolveStats } from '../client/resolver/index.js';
import type { Outcome } from './resolve-outcome.js';
import { runOurs, sourceOf } from './resolve-ours.js';
import { SHAPES, shapeByName, type Shape } from './resolve-shapes.js';

/**
 * `npm run bench:resolve`: the shapes of pubgrub-rs's benchmarks through unipkg's resolver and
 * through elm-solve-deps-wasm (pubgrub-rs in WebAssembly), over the same in-memory index, in
 * one process. Each side is measured warm (after untimed runs in the same isolate) and cold
 * (the first run in a fresh worker thread, as one `uni lock` is). Prints the median of several
 * runs of each; not a pass/fail test.
 */

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
/**
 * Warm-up, as criterion does for pubgrub-rs: untimed runs for this long (at least one), so
 * that the JIT (V8's for ours, its WebAssembly tiers for the peer) has compiled the hot paths.
 * A fixed count would leave a 3 ms shape half-compiled and make a 5 s one take minutes.
 */
const WARMUP_MS = Number(process.env['BENCH_WARMUP_MS'] ?? 3000);
const PEER_TIMEOUT_MS = Number(process.env['BENCH_PEER_TIMEOUT_MS'] ?? 60_000);

/**
 * Runs `runs` times in one new worker, which posts each outcome as it ends; undefined as soon as
 * one run does not finish in PEER_TIMEOUT_MS.
 */
function inWorker(file: string, shape: string, runs: number, warmupMs = 0): Promise<Outcome[] | undefined> {
  return new Promise((done, fail) => {
    const worker = new Worker(new URL(file, import.meta.url), { workerData: { shape, runs, warmupMs } });
    const outcomes: Outcome[] = [];
    // Waiting for the teardown keeps it out of the CPU time of the next sample.
    const finish = (result: Outcome[] | undefined): void => {
      clearTimeout(timer);
      worker.terminate().then(() => done(result), fail);
    };
    let timer = setTimeout(() => finish(undefined), PEER_TIMEOUT_MS);
    worker.on('message', (m: Outcome | 'warmed-once') => {
      clearTimeout(timer);
      if (m !== 'warmed-once') outcomes.push(m);
      if (outcomes.length === runs) finish(outcomes);
      else timer = setTimeout(() => finish(undefined), PEER_TIMEOUT_MS);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
  });
}

/** RUNS cold samples, each the first run in a new worker; undefined at the first that times out. */
async function coldRuns(file: string, shape: string): Promise<Outcome[] | undefined> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await inWorker(file, shape, 1);
    if (!run) return undefined;
    outcomes.push(...run);
  }
  return outcomes;
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

interface Medians {
  ms: number;
  cpuMs: number;
}

/** A peer's figures, or why there are none. */
type PeerFigures = Medians | 'timeout' | 'skipped';

const medians = (runs: Outcome[]): Medians => ({ ms: median(runs.map((o) => o.ms)), cpuMs: median(runs.map((o) => o.cpuMs)) });

const peerWall = (peer: PeerFigures): string => (peer === 'timeout' ? `> ${fmt(PEER_TIMEOUT_MS)}` : peer === 'skipped' ? 'skipped' : fmt(peer.ms));

const wallRatio = (peer: PeerFigures, ours: Medians): string =>
  peer === 'timeout' ? `> ${(PEER_TIMEOUT_MS / ours.ms).toFixed(1)}x` : peer === 'skipped' ? '-' : `${(peer.ms / ours.ms).toFixed(1)}x`;

const cpuRatio = (peer: PeerFigures, ours: Medians): string => (typeof peer === 'string' ? '-' : `${(peer.cpuMs / ours.cpuMs).toFixed(1)}x`);

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const rows: string[][] = [
    ['shape', 'warm: unipkg', 'peer', 'ratio', 'cold: unipkg', 'peer', 'ratio', 'cpu ratio warm', 'cpu ratio cold', 'decisions', 'conflicts', 'result'],
  ];
  for (const key of only.length > 0 ? only : SHAPES) {
    const shape = shapeByName(key);
    const stats: SolveStats = { decisions: 0, conflicts: 0 };
    const warm: Outcome[] = [];
    // Built once, as the peer's elm.json texts are: both sides pay only for solving.
    const source = sourceOf(shape);
    // No forced collection after the warm-up: a full GC makes V8 drop compiled code and start over.
    for (const t0 = performance.now(); performance.now() - t0 < WARMUP_MS; ) await runOurs(shape, source, { decisions: 0, conflicts: 0 });
    for (let i = 0; i < RUNS; i++) warm.push(await runOurs(shape, source, stats));
    const cold = await coldRuns('./resolve-ours.js', key);
    if (!cold) throw new Error(`${key}: a cold unipkg run did not finish in ${fmt(PEER_TIMEOUT_MS)}`);
    const peerCold = await coldRuns('./resolve-peer.js', key);
    // The warm peer runs as ours does: warm-up then RUNS timed runs, in one worker. A shape whose
    // cold run times out would only time out again.
    const peerWarm = peerCold ? await inWorker('./resolve-peer.js', key, RUNS, WARMUP_MS) : undefined;
    const oursWarm = medians(warm);
    const oursCold = medians(cold);
    const warmFigures: PeerFigures = peerWarm ? medians(peerWarm) : peerCold ? 'timeout' : 'skipped';
    const coldFigures: PeerFigures = peerCold ? medians(peerCold) : 'timeout';
    const mine = warm[0]!.solution;
    const theirs = peerCold?.[0]?.solution ?? null;
    const result = mine === null ? 'unsatisfiable' : `${Object.keys(mine).length} packages`;
    let agree = '';
    if (mine !== null && !valid(shape, mine)) agree = ' (INVALID solution)';
    else if (!cold.every((o) => sameSolution(mine, o.solution))) agree = ' (cold and warm runs differ)';
    else if (peerCold && !sameSolution(mine, theirs)) {
      agree = theirs !== null && mine !== null && valid(shape, theirs) ? ' (another valid solution than the peer)' : ' (peer disagrees)';
    }
    rows.push([
      shape.name,
      fmt(oursWarm.ms),
      peerWall(warmFigures),
      wallRatio(warmFigures, oursWarm),
      fmt(oursCold.ms),
      peerWall(coldFigures),
      wallRatio(coldFigures, oursCold),
      cpuRatio(warmFigures, oursWarm),
      cpuRatio(coldFigures, oursCold),
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
