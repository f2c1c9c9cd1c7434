/**
 * `npm run bench:server`: this registry side by side with peers, on this machine, in one run.
 *   (a) package-document GETs per second: ours vs verdaccio 6.8.0 serving a packument of the same size;
 *   (b) MB/s downloading a 100 MB blob, 1 and PARALLEL at once: ours vs nginx (sendfile) serving the same file;
 *   (c) peak RSS of our server while a 1 GiB archive is published;
 *   (d) the web package page of a 1,000-version package: ours vs verdaccio's web package page (pages.ts).
 * Figures, not pass/fail. Targets: (a) >= 3x verdaccio, (b) >= 0.8x nginx, (c) < 150 MiB, (d) one page < 50 ms.
 */
import { chmodSync, copyFileSync, createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { packument, smallArchive, writeBigArchive } from './fixtures.js';
import { downloadMBps, median, parallelDownloadMBps, requestsPerSecond, rssSampler } from './measure.js';
import { packagePages } from './pages.js';
import { startNginx, startOurs, startVerdaccio, type Child } from './processes.js';

const ADMIN = 'bench-admin-token-0123456789abcdef';
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const DOWNLOADS = 5;
const PARALLEL = 10;

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

  // verdaccio keeps a packument in memory once read: size it on one instance, serve it from a fresh one.
  const vdir = join(work, 'verdaccio');
  const pkgDir = join(vdir, 'storage', 'benchpkg');
  mkdirSync(pkgDir, { recursive: true });
  const served = async (padding: number): Promise<{ verdaccio: Child; bytes: number }> => {
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify(packument('benchpkg', versions, padding)));
    const verdaccio = await startVerdaccio(vdir);
    const res = await fetch(`${verdaccio.url}/benchpkg`);
    if (res.status !== 200) throw new Error(`verdaccio: ${res.status} ${await res.text()}`);
    return { verdaccio, bytes: (await res.arrayBuffer()).byteLength };
  };
  const probe = await served(0);
  await probe.verdaccio.stop();
  const { verdaccio, bytes: verdaccioBytes } = await served(Math.max(0, bytes - probe.bytes));
  const vUrl = `${verdaccio.url}/benchpkg`;
  // Alternating runs, so that a change in the machine's load hits both sides alike.
  const oursRuns: number[] = [];
  const verdaccioRuns: number[] = [];
  try {
    for (let round = 0; round < 2; round += 1) {
      oursRuns.push((await requestsPerSecond(docUrl, SECONDS)).rps);
      verdaccioRuns.push((await requestsPerSecond(vUrl, SECONDS)).rps);
    }
  } finally {
    await verdaccio.stop();
    await ours.stop();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { ours: mean(oursRuns), verdaccio: mean(verdaccioRuns), bytes, verdaccioBytes };
}
async function blobDownloads(work: string): Promise<{ ours: number; nginx: number; oursParallel: number; nginxParallel: number }> {
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
  const pa: number[] = [];
  const pb: number[] = [];
  try {
    for (let i = 0; i < DOWNLOADS; i += 1) {
      a.push(downloadMBps(oursUrl));
      b.push(downloadMBps(nginxUrl));
    }
    for (let i = 0; i < DOWNLOADS; i += 1) {
      pa.push(await parallelDownloadMBps(oursUrl, PARALLEL));
      pb.push(await parallelDownloadMBps(nginxUrl, PARALLEL));
    }
  } finally {
    await nginx.stop();
    await ours.stop();
  }
  return { ours: median(a), nginx: median(b), oursParallel: median(pa), nginxParallel: median(pb) };
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

type Results = {
  docs?: Awaited<ReturnType<typeof packageDocuments>>;
  blobs?: Awaited<ReturnType<typeof blobDownloads>>;
  big?: Awaited<ReturnType<typeof bigPublish>>;
  pages?: Awaited<ReturnType<typeof packagePages>>;
};

function report(r: Results): void {
  const rows: string[][] = [];
  if (r.docs) {
    const d = r.docs;
    rows.push(['package document GET/s', `${d.ours.toFixed(0)} (${d.bytes} B)`, `verdaccio 6.8.0: ${d.verdaccio.toFixed(0)} (${d.verdaccioBytes} B)`, `${(d.ours / d.verdaccio).toFixed(2)}x`, '>= 3x']);
  }
  if (r.blobs) {
    const b = r.blobs;
    rows.push(['100 MB blob download MB/s', b.ours.toFixed(0), `nginx: ${b.nginx.toFixed(0)}`, `${(b.ours / b.nginx).toFixed(2)}x`, '>= 0.8x']);
    rows.push([`100 MB blob, ${PARALLEL} at once, MB/s`, b.oursParallel.toFixed(0), `nginx: ${b.nginxParallel.toFixed(0)}`, `${(b.oursParallel / b.nginxParallel).toFixed(2)}x`, '>= 0.8x']);
  }
  if (r.big) {
    rows.push(['peak RSS, 1 GiB publish', `${r.big.peakMiB.toFixed(0)} MiB`, `${(r.big.bytes / 1e6 / r.big.seconds).toFixed(0)} MB/s in ${r.big.seconds.toFixed(1)} s`, '', '< 150 MiB']);
  }
  if (r.pages) {
    const p = r.pages;
    rows.push([`web package page GET/s (${p.versions} versions)`, `${p.ours.toFixed(0)} (${p.oursBytes} B)`, `verdaccio 6.8.0 page shell: ${p.verdaccioShell.toFixed(0)}`, `${(p.ours / p.verdaccioShell).toFixed(2)}x`, '']);
    rows.push(['', '', `verdaccio 6.8.0 page data (sidebar): ${p.verdaccioSidebar.toFixed(0)} (${p.verdaccioBytes} B with shell)`, `${(p.ours / p.verdaccioSidebar).toFixed(2)}x`, '']);
    rows.push([`web package page render (${p.versions} versions)`, `${p.oursMs.toFixed(1)} ms median`, '', '', '< 50 ms']);
  }
  const header = ['measure', 'ours', 'peer', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(`\nuni registry benchmark (${SECONDS} s per load run, median of ${DOWNLOADS} downloads)\n`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

/** BENCH_ONLY=docs,pages,blobs,rss runs a subset; BENCH_SECONDS sets the length of each load run. */
async function main(): Promise<void> {
  const only = new Set((process.env['BENCH_ONLY'] ?? 'docs,pages,blobs,rss').split(','));
  const work = mkdtempSync(join(tmpdir(), 'uni-bench-'));
  try {
    const results: Results = {};
    if (only.has('docs')) results.docs = await packageDocuments(work);
    if (only.has('pages')) results.pages = await packagePages(work, ADMIN, SECONDS);
    if (only.has('blobs')) results.blobs = await blobDownloads(work);
    if (only.has('rss')) results.big = await bigPublish(work);
    report(results);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
