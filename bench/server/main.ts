/**
 * `npm run bench:server`: this registry side by side with peers, on this machine, in one run.
 *   (a) package-document GETs per second: ours vs verdaccio 6.8.0 serving a packument of the same size;
 *   (b) MB/s downloading a 100 MB blob: ours vs nginx (sendfile) serving the same file;
 *   (c) peak RSS of our server while a 1 GiB archive is published.
 * Figures, not pass/fail. Targets: (a) >= 3x verdaccio, (b) >= 0.5x nginx, (c) < 150 MiB.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { smallArchive, writeBigArchive } from './fixtures.js';
import { downloadMBps, median, requestsPerSecond, rssSampler } from './measure.js';
import { startNginx, startOurs, startVerdaccio } from './processes.js';

const ADMIN = 'bench-admin-token-0123456789abcdef';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const DOWNLOADS = 5;

function publishFile(url: string, file: string): Promise<{ status: number; body: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-length': String(statSync(file).size) },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, seconds: (performance.now() - started) / 1000 }));
    });
    req.on('error', reject);
    pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), req).catch(reject);
  });
}

async function expectOk(what: string, p: Promise<{ status: number; body: string }>): Promise<string> {
  const r = await p;
  if (r.status !== 201 && r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${r.body}`);
  return r.body;
}

/** A verdaccio packument with `versions` versions, padded so that verdaccio serves `targetBytes`. */
function packument(name: string, versions: string[], padding: number): object {
  const doc: Record<string, any> = { name, description: 'x'.repeat(padding), versions: {}, time: {}, 'dist-tags': { latest: versions.at(-1) }, _attachments: {}, _uplinks: {}, _distfiles: {}, _rev: '1-0' };
  for (const v of versions) {
    const shasum = createHash('sha1').update(v).digest('hex');
    doc['versions'][v] = { name, version: v, description: 'a small package for the benchmark', dependencies: {}, dist: { tarball: `http://localhost:4873/${name}/-/${name}-${v}.tgz`, shasum } };
    doc['time'][v] = new Date(0).toISOString();
  }
  return doc;
}

async function packageDocuments(work: string): Promise<{ ours: number; verdaccio: number; bytes: number; verdaccioBytes: number }> {
  const ours = await startOurs(join(work, 'ours-docs'), ADMIN);
  const versions = Array.from({ length: 20 }, (_, i) => `1.0.${i}`);
  // verdaccio's smallest packument for 20 versions is larger than our document: a long
  // description brings ours up to it, then verdaccio's is padded to the same size.
  const description = 'a small package for the benchmark; '.repeat(100);
  for (const v of versions) {
    const body = await smallArchive('benchpkg', v, description);
    const r = await fetch(`${ours.url}/v1/packages/library/benchpkg/${v}/x86_64`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN}` }, body: new Uint8Array(body) });
    if (r.status !== 201) throw new Error(`publish ${v}: ${r.status} ${await r.text()}`);
  }
  const docUrl = `${ours.url}/v1/packages/library/benchpkg`;
  const bytes = (await (await fetch(docUrl)).arrayBuffer()).byteLength;

  const vdir = join(work, 'verdaccio');
  const pkgDir = join(vdir, 'storage', 'benchpkg');
  mkdirSync(pkgDir, { recursive: true });
  const verdaccio = await startVerdaccio(vdir);
  const vUrl = `${verdaccio.url}/benchpkg`;
  let padding = 0;
  let verdaccioBytes = 0;
  for (let i = 0; i < 3; i += 1) {
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify(packument('benchpkg', versions, padding)));
    const res = await fetch(vUrl);
    if (res.status !== 200) throw new Error(`verdaccio: ${res.status} ${await res.text()}`);
    verdaccioBytes = (await res.arrayBuffer()).byteLength;
    padding = Math.max(0, padding + bytes - verdaccioBytes);
  }
  let oursRps: { rps: number };
  let verdaccioRps: { rps: number };
  try {
    oursRps = await requestsPerSecond(docUrl, SECONDS);
    verdaccioRps = await requestsPerSecond(vUrl, SECONDS);
  } finally {
    await verdaccio.stop();
    await ours.stop();
  }
  return { ours: oursRps.rps, verdaccio: verdaccioRps.rps, bytes, verdaccioBytes };
}

async function blobDownloads(work: string): Promise<{ ours: number; nginx: number }> {
  const ours = await startOurs(join(work, 'ours-blob'), ADMIN);
  const file = join(work, 'blob100.tar.gz');
  await writeBigArchive(file, 'big', '1.0.0', 100 * 1000 * 1000);
  const summary = JSON.parse(await expectOk('publish 100 MB', publishFile(`${ours.url}/v1/packages/library/big/1.0.0/x86_64`, file)));
  const root = join(work, 'nginx-root');
  mkdirSync(root, { recursive: true });
  copyFileSync(file, join(root, 'blob100.tar.gz'));
  // nginx started as root serves through workers running as nobody: they must be able to read it.
  chmodSync(work, 0o755);
  chmodSync(root, 0o755);
  chmodSync(join(root, 'blob100.tar.gz'), 0o644);
  const nginx = await startNginx(join(work, 'nginx'), root).catch(async (e: unknown) => {
    await ours.stop();
    throw e;
  });
  const oursUrl = `${ours.url}/v1/blobs/sha256/${summary.digest.slice(7)}`;
  const nginxUrl = `${nginx.url}/blob100.tar.gz`;
  downloadMBps(oursUrl);
  downloadMBps(nginxUrl);
  const a: number[] = [];
  const b: number[] = [];
  try {
    for (let i = 0; i < DOWNLOADS; i += 1) {
      a.push(downloadMBps(oursUrl));
      b.push(downloadMBps(nginxUrl));
    }
  } finally {
    await nginx.stop();
    await ours.stop();
  }
  return { ours: median(a), nginx: median(b) };
}

async function bigPublish(work: string): Promise<{ peakMiB: number; seconds: number; bytes: number }> {
  const file = join(work, 'blob1g.tar.gz');
  await writeBigArchive(file, 'huge', '1.0.0', 1024 * 1024 * 1024);
  const ours = await startOurs(join(work, 'ours-big'), ADMIN);
  const sampler = rssSampler(ours.process.pid!);
  const r = await publishFile(`${ours.url}/v1/packages/library/huge/1.0.0/x86_64`, file);
  const { peakMiB } = sampler.stop();
  await ours.stop();
  if (r.status !== 201) throw new Error(`publish 1 GiB: HTTP ${r.status} ${r.body}`);
  return { peakMiB, seconds: r.seconds, bytes: statSync(file).size };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'uni-bench-'));
  try {
    const docs = await packageDocuments(work);
    const blobs = await blobDownloads(work);
    const big = await bigPublish(work);
    const rows = [
      ['package document GET/s', `${docs.ours.toFixed(0)} (${docs.bytes} B)`, `verdaccio 6.8.0: ${docs.verdaccio.toFixed(0)} (${docs.verdaccioBytes} B)`, `${(docs.ours / docs.verdaccio).toFixed(2)}x`, '>= 3x'],
      ['100 MB blob download MB/s', blobs.ours.toFixed(0), `nginx: ${blobs.nginx.toFixed(0)}`, `${(blobs.ours / blobs.nginx).toFixed(2)}x`, '>= 0.5x'],
      ['peak RSS, 1 GiB publish', `${big.peakMiB.toFixed(0)} MiB`, `${((big.bytes / 1e6) / big.seconds).toFixed(0)} MB/s in ${big.seconds.toFixed(1)} s`, '', '< 150 MiB'],
    ];
    const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['measure', 'ours', 'peer', 'ratio', 'target'][i]!.length));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    console.log(`\nuni registry benchmark (${SECONDS} s per load run, median of ${DOWNLOADS} downloads)\n`);
    console.log(line(['measure', 'ours', 'peer', 'ratio', 'target']));
    for (const r of rows) console.log(line(r));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
