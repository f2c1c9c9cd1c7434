/**
 * The web UI's package page for a package with 1,000 versions (each with a dependency): our
 * server-rendered page beside verdaccio 6.8.0's web package page for a packument of 1,000
 * versions. verdaccio's page is a client-side app: its HTML shell (/-/web/detail/NAME) and the
 * JSON it then loads (/-/verdaccio/data/sidebar/NAME) are measured apart; ours is one request.
 * Also the time one page takes to render, measured one request at a time (target < 50 ms).
 */
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { packument, smallArchive } from './fixtures.js';
import { median, requestsPerSecond } from './measure.js';
import { startOurs, startVerdaccio } from './processes.js';

export interface PageFigures {
  versions: number;
  ours: number;
  oursBytes: number;
  oursMs: number;
  verdaccioShell: number;
  verdaccioSidebar: number;
  verdaccioBytes: number;
}

const VERSIONS = 1000;
/** Fewer than the documents' 32: a 350 KB page each, and autocannon counts an answer later than 10 s as an error. */
const CONNECTIONS = 8;

async function publish(url: string, admin: string, name: string, version: string, dependencies?: Record<string, string>): Promise<void> {
  const body = await smallArchive(name, version, 'a package with many versions, for the page benchmark', dependencies);
  const r = await fetch(`${url}/v1/packages/library/${name}/${version}/x86_64`, { method: 'PUT', headers: { authorization: `Bearer ${admin}` }, body: new Uint8Array(body) });
  if (r.status !== 201) throw new Error(`publish ${name}@${version}: ${r.status} ${await r.text()}`);
}

/** Milliseconds from request to last byte over loopback, one request at a time: the median of `n`. */
async function pageMs(url: string, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const started = performance.now();
    const r = await fetch(url);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`${url}: ${r.status}`);
    times.push(performance.now() - started);
  }
  return median(times);
}

export async function packagePages(work: string, admin: string, seconds: number): Promise<PageFigures> {
  const versions = Array.from({ length: VERSIONS }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
  const ours = await startOurs(join(work, 'ours-pages'), admin);
  const vdir = join(work, 'verdaccio-web');
  try {
    await publish(ours.url, admin, 'glibc', '2.36.0');
    for (const v of versions) await publish(ours.url, admin, 'manyversions', v, { 'library/glibc': '^2.36' });
    const pageUrl = `${ours.url}/packages/library/manyversions`;
    const oursBytes = (await (await fetch(pageUrl)).arrayBuffer()).byteLength;
    await pageMs(pageUrl, 20);
    const oursMs = await pageMs(pageUrl, 100);
    mkdirSync(join(vdir, 'storage', 'manyversions'), { recursive: true });
    writeFileSync(join(vdir, 'storage', 'manyversions', 'package.json'), JSON.stringify(packument('manyversions', versions, 0, { glibc: '^2.36' })));
    const verdaccio = await startVerdaccio(vdir, true);
    try {
      const shellUrl = `${verdaccio.url}/-/web/detail/manyversions`;
      const sidebarUrl = `${verdaccio.url}/-/verdaccio/data/sidebar/manyversions`;
      const sidebar = await fetch(sidebarUrl);
      if (sidebar.status !== 200) throw new Error(`verdaccio sidebar: ${sidebar.status} ${await sidebar.text()}`);
      const verdaccioBytes = (await (await fetch(shellUrl)).arrayBuffer()).byteLength + (await sidebar.arrayBuffer()).byteLength;
      // Alternating runs, so that a change in the machine's load hits both sides alike.
      const o: number[] = [];
      const shell: number[] = [];
      const side: number[] = [];
      for (let round = 0; round < 2; round += 1) {
        o.push((await requestsPerSecond(pageUrl, seconds, CONNECTIONS)).rps);
        shell.push((await requestsPerSecond(shellUrl, seconds, CONNECTIONS)).rps);
        side.push((await requestsPerSecond(sidebarUrl, seconds, CONNECTIONS)).rps);
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      return { versions: VERSIONS, ours: mean(o), oursBytes, oursMs, verdaccioShell: mean(shell), verdaccioSidebar: mean(side), verdaccioBytes };
    } finally {
      await verdaccio.stop();
    }
  } finally {
    await ours.stop();
  }
}
