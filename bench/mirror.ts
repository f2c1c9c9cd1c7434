/**
 * `uni mirror sync` from a loopback origin, beside the limit: curl downloading the same blobs
 * in parallel (as many at once as the sync). Two workloads: 200 packages x 3 versions of
 * small archives (packages per second), and 5 archives of 100 MB (MB/s). Not pass/fail.
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

function timeSync(origin: Child, to: string): { seconds: number; inside: number; packages: number; bytes: number } {
  const started = performance.now();
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'uni.js'), 'mirror', 'sync', '--from', origin.url, '--to', to, '--concurrency', String(CONCURRENCY), '--json'], {
    encoding: 'utf8',
  });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`uni mirror sync failed: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as { packages: number; bytes: number; seconds: number };
  return { seconds, inside: report.seconds, packages: report.packages, bytes: report.bytes };
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

interface Row {
  workload: string;
  syncSeconds: number;
  /** The sync's own measure, without Node's start-up. */
  insideSeconds: number;
  curlSeconds: number;
  packages: number;
  bytes: number;
}

async function workload(name: string, fill: (origin: Child, work: string) => Promise<{ digests: string[] }>): Promise<Row> {
  const work = mkdtempSync(join(tmpdir(), 'uni-bench-mirror-'));
  const origin = await startOurs(join(work, 'origin'), ADMIN);
  try {
    const { digests } = await fill(origin, work);
    const sync = timeSync(origin, join(work, 'copy'));
    const curlDir = mkdtempSync(join(work, 'curl-'));
    const curlSeconds = timeCurl(origin, digests, curlDir);
    return { workload: name, syncSeconds: sync.seconds, insideSeconds: sync.inside, curlSeconds, packages: sync.packages, bytes: sync.bytes };
  } finally {
    await origin.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
rows.push(
  await workload('200 packages x 3 versions, small', async (origin) => {
    const digests: string[] = [];
    for (let p = 0; p < 200; p++) {
      for (const v of ['1.0.0', '1.1.0', '2.0.0']) {
        const name = `pkg${String(p).padStart(3, '0')}`;
        digests.push((await publish(origin, `library/${name}`, v, await smallArchive(name, v))).digest);
      }
    }
    return { digests };
  }),
);
rows.push(
  await workload('5 archives of 100 MB', async (origin, work) => {
    const digests: string[] = [];
    for (let i = 0; i < 5; i++) {
      const file = join(work, `big${i}.tar.gz`);
      await writeBigArchive(file, `big${i}`, '1.0.0', 100 * 1024 * 1024);
      digests.push((await publish(origin, `library/big${i}`, '1.0.0', file)).digest);
      rmSync(file);
    }
    return { digests };
  }),
);

const MB = 1e6;
console.log(`uni mirror sync vs curl --parallel-max ${CONCURRENCY} (same blobs, loopback origin)\n`);
console.log(['workload'.padEnd(36), 'sync s'.padStart(8), 'in-proc s'.padStart(10), 'curl s'.padStart(8), 'pkgs/s'.padStart(8), 'sync MB/s'.padStart(10), 'curl MB/s'.padStart(10), 'sync/curl'.padStart(10)].join(' '));
for (const r of rows) {
  console.log(
    [
      r.workload.padEnd(36),
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
console.log('pkgs/s counts packages (each with its 3 versions for the first row); sync/curl is the fraction of curl\'s speed the sync reaches (1.00 = at the limit).');
