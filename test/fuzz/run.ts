/**
 * The long run of the archive fuzzer: `npm run fuzz -- --seconds 600` (or `--runs N`,
 * `--seed S`). Every input goes through the registry's path and the client's; a broken
 * property is recorded with the case that broke it and the run goes on. Prints how many
 * inputs were tried, what became of them, and every finding; exits 1 when there is one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { archiveOf, fuzzCase, seedTars, type FuzzCase } from './archives.js';
import { clientPath, Finding, serverPath, type Outcome } from './check.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '600' },
    runs: { type: 'string' },
    seed: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const runs = values.runs === undefined ? Number.MAX_SAFE_INTEGER : Number(values.runs);
const seed = values.seed === undefined ? Date.now() : Number(values.seed);
if (!(seconds > 0) || !(runs > 0) || !Number.isFinite(seed)) {
  process.stderr.write('usage: npm run fuzz -- [--seconds S] [--runs N] [--seed S]\n');
  process.exit(2);
}

const seeds = await seedTars();
const tmp = mkdtempSync(join(tmpdir(), 'uni-fuzz-run-'));
const tally = new Map<string, number>();
const findings: Array<{ finding: string; case: FuzzCase }> = [];
let tried = 0;
let peakRss = 0;

function count(path: string, o: Outcome): void {
  const key = `${path} ${o.accepted ? 'accepted' : o.code}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

async function attempt(path: string, c: FuzzCase, run: () => Promise<Outcome>): Promise<void> {
  try {
    count(path, await run());
  } catch (e) {
    if (!(e instanceof Finding)) throw e;
    findings.push({ finding: e.message, case: c });
    process.stderr.write(`finding: ${e.message}\n  case: ${JSON.stringify(c)}\n`);
  }
}

const started = Date.now();
const deadline = started + seconds * 1000;
// Cases drawn in batches, each from its own seed, so that a run is repeatable with --seed and
// no case is still running when the time is up.
try {
  for (let batch = 0; tried < runs && Date.now() < deadline; batch += 1) {
    for (const c of fc.sample(fuzzCase, { numRuns: 500, seed: seed + batch })) {
      if (tried >= runs || Date.now() >= deadline) break;
      const bytes = archiveOf(seeds, c);
      await attempt('server', c, () => serverPath(bytes, c.chunks));
      await attempt('client', c, () => clientPath(bytes, c.chunks, tmp));
      tried += 1;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (tried % 2000 === 0) process.stderr.write(`${tried} inputs, ${findings.length} findings, ${Math.round((Date.now() - started) / 1000)} s\n`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const lines = [
  `seed ${seed}: ${tried} inputs in ${Math.round((Date.now() - started) / 1000)} s, each on the registry's path and the client's`,
  `peak RSS ${Math.round(peakRss / 1024 ** 2)} MiB`,
  ...[...tally].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `  ${k}: ${n}`),
  `findings: ${findings.length}`,
  ...findings.map((f) => `  ${f.finding}\n    ${JSON.stringify(f.case)}`),
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = findings.length > 0 ? 1 : 0;
