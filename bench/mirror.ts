/**
 * `uni mirror sync` from a loopback origin, beside the limit: curl downloading the same blobs
 * in parallel (as many at once as the sync). Two workloads: 200 packages x 3 versions of
 * small archives (packages per second), and 5 archives of 100 MB (MB/s). Each is synced into
 * an empty folder, and into a mirror's folder after pull-through (every package document
 * read through the mirror and one archive fetched, so the sync adds no rows and fills the
 * archives pull-through left out; curl then fetches only those). Medians of 3 runs. Not pass/fail.
 *   npm run build && node dist/bench/mirror.js
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { smallArchive, writeBigArchive } from './server/fixtures.js';
import { ROOT, startOurs, type Child } from './server/processes.js';

const ADMIN = 'bench-mirror-admin-token-0123456789';
const CONCURRENCY = 8;
const RUNS = 3;

interface Published {
  name: string;
  /** Oldest first. */
  digests: string[];
}

async function publish(origin: Child, name: string, version: string, body: Buffer | string): Promise<{ digest: string; size: number }> {
  const init: RequestInit & { duplex?: 'half' } =
    typeof body === 'string'
      ? { body: Readable.toWeb(createReadStream(body)) as ReadableStream, duplex: 'half', headers: { authorization: `Bearer ${ADMIN}`, 'content-length': String(statSync(body).size) } }
      : { body: new Uint8Array(body), headers: { authorization: `Bearer ${ADMIN}` } };
  const res = await fetch(`${origin.url}/v1/packages/${name}/${version}/x86_64`, { method: 'PUT', ...init });
  const out = (await res.json()) as { digest: string; size: number };
  if (res.status !== 201) throw new Error(`publish ${name}@${version}: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

function timeSync(origin: Child, to: string): { seconds: number; inside: number; packages: number; blobs: number; bytes: number } {
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'uni.js'), 'mirror', 'sync', '--from', origin.url, '--to', to, '--concurrency', String(CONCURRENCY), '--json'], {
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`uni mirror sync failed: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as { packages: number; blobs: number; bytes: number; seconds: number };
  return { seconds, inside: report.seconds, packages: report.packages, blobs: report.blobs, bytes: report.bytes };
}

/** curl fetching every blob, CONCURRENCY at once, into files (the sync writes files too). */
function timeCurl(origin: Child, digests: string[], dir: string): number {
  const config = digests.map((d, i) => `url = "${origin.url}/v1/blobs/sha256/${d.slice(7)}"\noutput = "${join(dir, `b${i}`)}"`).join('\n');
  const file = join(dir, 'curl.cfg');
  writeFileSync(file, `${config}\n`);
  const started = performance.now();
  const run = spawnSync('curl', ['--silent', '--fail', '--parallel', '--parallel-max', String(CONCURRENCY), '-K', file], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`curl failed (${run.status}): ${run.stderr}`);
  return (performance.now() - started) / 1000;
}

/**
 * What a mirror holds after users asked for things: every package's document read through it
 * (rows for every version) and `blobs` archives fetched (the newest version of the first ones).
 */
async function pullThrough(origin: Child, dataDir: string, published: Published[], blobs: number): Promise<void> {
  const mirror = await startOurs(dataDir, ADMIN, ['--upstream', origin.url]);
  try {
    const ask = async (path: string): Promise<void> => {
      const res = await fetch(`${mirror.url}${path}`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`pull-through ${path}: ${res.status}`);
    };
    for (let i = 0; i < published.length; i += 16) {
      await Promise.all(published.slice(i, i + 16).map((p) => ask(`/v1/packages/library/${p.name}`)));
    }
    for (const p of published.slice(0, blobs)) await ask(`/v1/blobs/sha256/${p.digests.at(-1)!.slice(7)}`);
  } finally {
    await mirror.stop();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  workload: string;
  syncSeconds: number;
  /** The sync's own measure, without Node's start-up. */
  insideSeconds: number;
  curlSeconds: number;
  packages: number;
  blobs: number;
  bytes: number;
}

async function measure(label: string, origin: Child, work: string, digests: string[], prepare: (copy: string) => Promise<void>): Promise<Row> {
  const runs: { sync: ReturnType<typeof timeSync>; curl: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const copy = mkdtempSync(join(work, 'copy-'));
    await prepare(copy);
    const sync = timeSync(origin, copy);
    rmSync(copy, { recursive: true, force: true });
    const curlDir = mkdtempSync(join(work, 'curl-'));
    const curl = timeCurl(origin, digests, curlDir);
    rmSync(curlDir, { recursive: true, force: true });
    runs.push({ sync, curl });
  }
  const last = runs.at(-1)!.sync;
  if (last.blobs !== digests.length) throw new Error(`${label}: the sync copied ${last.blobs} blobs, not the ${digests.length} missing`);
  return {
    workload: label,
    syncSeconds: median(runs.map((r) => r.sync.seconds)),
    insideSeconds: median(runs.map((r) => r.sync.inside)),
    curlSeconds: median(runs.map((r) => r.curl)),
    packages: last.packages,
    blobs: last.blobs,
    bytes: last.bytes,
  };
}

async function workload(name: string, pulledBlobs: number, fill: (origin: Child, work: string) => Promise<Published[]>): Promise<Row[]> {
  const work = mkdtempSync(join(tmpdir(), 'uni-bench-mirror-'));
  const origin = await startOurs(join(work, 'origin'), ADMIN);
  try {
    const published = await fill(origin, work);
    const every = published.flatMap((p) => p.digests);
    const pulled = new Set(published.slice(0, pulledBlobs).map((p) => p.digests.at(-1)!));
    return [
      await measure(`${name}, into an empty folder`, origin, work, every, async () => undefined),
      await measure(`${name}, after pull-through`, origin, work, every.filter((d) => !pulled.has(d)), (copy) => pullThrough(origin, copy, published, pulledBlobs)),
    ];
  } finally {
    await origin.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
rows.push(
  ...(await workload('200 pkgs x 3 versions, small', 200, async (origin) => {
    const published: Published[] = [];
    for (let p = 0; p < 200; p++) {
      const name = `pkg${String(p).padStart(3, '0')}`;
      const digests: string[] = [];
      for (const v of ['1.0.0', '1.1.0', '2.0.0']) digests.push((await publish(origin, `library/${name}`, v, await smallArchive(name, v))).digest);
      published.push({ name, digests });
    }
    return published;
  })),
);
rows.push(
  ...(await workload('5 archives of 100 MB', 1, async (origin, work) => {
    const published: Published[] = [];
    for (let i = 0; i < 5; i++) {
      const file = join(work, `big${i}.tar.gz`);
      await writeBigArchive(file, `big${i}`, '1.0.0', 100 * 1024 * 1024);
      published.push({ name: `big${i}`, digests: [(await publish(origin, `library/big${i}`, '1.0.0', file)).digest] });
      rmSync(file);
    }
    return published;
  })),
);

const MB = 1e6;
console.log(`uni mirror sync vs curl --parallel-max ${CONCURRENCY} (the blobs the sync copies, loopback origin), medians of ${RUNS} runs\n`);
console.log(['workload'.padEnd(50), 'blobs'.padStart(6), 'sync s'.padStart(8), 'in-proc s'.padStart(10), 'curl s'.padStart(8), 'pkgs/s'.padStart(8), 'sync MB/s'.padStart(10), 'curl MB/s'.padStart(10), 'sync/curl'.padStart(10)].join(' '));
for (const r of rows) {
  console.log(
    [
      r.workload.padEnd(50),
      String(r.blobs).padStart(6),
      r.syncSeconds.toFixed(2).padStart(8),
      r.insideSeconds.toFixed(2).padStart(10),
      r.curlSeconds.toFixed(2).padStart(8),
      (r.packages / r.syncSeconds).toFixed(1).padStart(8),
      (r.bytes / MB / r.syncSeconds).toFixed(1).padStart(10),
      (r.bytes / MB / r.curlSeconds).toFixed(1).padStart(10),
      (r.curlSeconds / r.syncSeconds).toFixed(2).padStart(10),
    ].join(' '),
  );
}
console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores`);
console.log("pkgs/s counts packages the sync applied; after pull-through it applies them (no new rows) and fills the blobs left out. sync/curl is the fraction of curl's speed the sync reaches (1.00 = at the limit).");
