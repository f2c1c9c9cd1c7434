/**
 * `npm run bench:client`: the client's figures beside their practical floors, in one run.
 *
 *   warm get    `uni pkg get` with everything cached and fresh   vs `node -e 0` (target <= 3x)
 *   cold get    `uni pkg get` of a 100 MB package over loopback  vs `curl -s URL | tar xz` (target <= 1.5x)
 *   extraction  the client's extraction alone                    vs `tar xzf` (target >= 0.6x its speed)
 *               (ours timed inside its process, from first byte read to tree ready: node's start
 *               and module loading are not extraction; tar's start is about a millisecond)
 *
 * The registry runs in this process on loopback; every measured command is a subprocess, so
 * both sides of the get rows pay their process start. Medians of alternating runs; not pass/fail.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverConfig } from '../server/config.js';
import { listen, openNodeRegistry } from '../server/node.js';
import { writePackage } from './client-fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const UNI = join(ROOT, 'bin', 'uni.js');
const EXTRACT_ONE = join(ROOT, 'dist', 'bench', 'client-extract-one.js');
const TOKEN = 'bench-admin-token-0123456789abcdef';
const RUNS = { warm: 15, cold: 5, extract: 5 };

interface Timing {
  /** Wall time in ms, or the figure the command printed when asked for it. */
  ms: number;
  /** User + system CPU seconds of the command and the children it waited for (GNU time). */
  cpu: number;
}

/**
 * Runs a subprocess under GNU time, so that beside the wall time we know the CPU it burnt: on
 * a shared machine the wall time swings with the load, the CPU time much less.
 */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, reported = false): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '__cpu %U %S', cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = /__cpu ([\d.]+) ([\d.]+)/.exec(err);
      if (code === 0 && cpu) resolve({ ms: reported ? Number(out.trim()) : ms, cpu: Number(cpu[1]) + Number(cpu[2]) });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function removeAll(path: string): void {
  const walk = (p: string): void => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return;
    chmodSync(p, 0o755);
    for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(path);
  rmSync(path, { recursive: true, force: true });
}

async function publish(url: string, name: string, file: string): Promise<string> {
  const [, short, version] = /^.*\/(.+)_(.+)\.tar\.gz$/.exec(file)!;
  const res = await fetch(`${url}/v1/packages/library/${short}/${version}/x86_64`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TOKEN}` },
    body: readFileSync(file),
  });
  const body = (await res.json()) as { digest?: string };
  if (!res.ok || !body.digest) throw new Error(`publish ${name}: ${res.status} ${JSON.stringify(body)}`);
  return body.digest;
}

interface Side {
  ms: number;
  cpu: number;
}

interface Row {
  what: string;
  ours: Side;
  peer: Side;
  peerName: string;
  /** For times: ours/peer. For extraction, a speed: peer/ours. */
  speed: boolean;
  target: string;
}

async function alternate(n: number, ours: () => Promise<Timing>, peer: () => Promise<Timing>): Promise<{ ours: Side; peer: Side }> {
  const a: Timing[] = [];
  const b: Timing[] = [];
  for (let i = 0; i < n; i++) {
    a.push(await ours());
    b.push(await peer());
  }
  const side = (xs: Timing[]): Side => ({ ms: median(xs.map((x) => x.ms)), cpu: median(xs.map((x) => x.cpu)) });
  return { ours: side(a), peer: side(b) };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'uni-bench-'));
  const registry = await openNodeRegistry({ dataDir: join(work, 'registry'), adminToken: TOKEN, config: serverConfig({ log: () => {} }) });
  const server = await listen(registry, '127.0.0.1', 0);
  try {
    process.stderr.write('building packages...\n');
    const small = join(work, 'small_1.0.0.tar.gz');
    const big = join(work, 'big_1.0.0.tar.gz');
    await writePackage(small, 'small', '1.0.0', 2, 8);
    await writePackage(big, 'big', '1.0.0', 100, 200);
    await publish(server.url, 'small', small);
    const bigDigest = await publish(server.url, 'big', big);
    const bigSize = statSync(big).size;
    const env = (home: string): NodeJS.ProcessEnv => ({ PATH: process.env['PATH'], HOME: home, UNI_HOME: home, UNI_REGISTRY: server.url });
    const rows: Row[] = [];

    process.stderr.write('warm get...\n');
    const warmHome = join(work, 'warm');
    await run(process.execPath, [UNI, 'pkg', 'get', 'small'], env(warmHome));
    const warm = await alternate(
      RUNS.warm,
      () => run(process.execPath, [UNI, 'pkg', 'get', 'small', '--json'], env(warmHome)),
      () => run(process.execPath, ['-e', '0']),
    );
    rows.push({ what: 'warm uni pkg get', ...warm, peerName: 'node -e 0', speed: false, target: '<= 3x' });

    process.stderr.write('cold get of 100 MB...\n');
    let k = 0;
    const cold = await alternate(
      RUNS.cold,
      async () => {
        const home = join(work, `cold-${k++}`);
        const ms = await run(process.execPath, [UNI, 'pkg', 'get', 'big', '--json'], env(home));
        removeAll(home);
        return ms;
      },
      async () => {
        const dest = join(work, `curl-${k++}`);
        mkdirSync(dest);
        const url = `${server.url}/v1/blobs/sha256/${bigDigest.slice(7)}`;
        const ms = await run('sh', ['-c', `curl -sf '${url}' | tar xz -C '${dest}'`]);
        removeAll(dest);
        return ms;
      },
    );
    rows.push({ what: `cold get, ${(bigSize / 1e6).toFixed(0)} MB archive`, ...cold, peerName: 'curl | tar xz', speed: false, target: '<= 1.5x' });

    process.stderr.write('extraction...\n');
    const ext = await alternate(
      RUNS.extract,
      async () => {
        const dest = join(work, `ours-${k++}`);
        const ms = await run(process.execPath, [EXTRACT_ONE, big, dest], process.env, true);
        removeAll(dest);
        return ms;
      },
      async () => {
        const dest = join(work, `tar-${k++}`);
        mkdirSync(dest);
        const ms = await run('tar', ['xzf', big, '-C', dest]);
        removeAll(dest);
        return ms;
      },
    );
    rows.push({ what: 'extraction alone', ...ext, peerName: 'tar xzf', speed: true, target: '>= 0.6x speed' });

    const unpacked = 100 * 1024 * 1024;
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(28) : c.padStart(i === 3 ? 14 : 11))).join(' ');
    const ratio = (r: Row, k: keyof Side) => (r.speed ? r.peer[k] / r.ours[k] : r.ours[k] / r.peer[k]);
    console.log(line(['case', 'ours ms', 'peer ms', 'peer', 'ratio', 'ours cpu s', 'peer cpu s', 'cpu ratio', 'target']));
    for (const r of rows) {
      console.log(
        line([
          r.what,
          r.ours.ms.toFixed(0),
          r.peer.ms.toFixed(0),
          r.peerName,
          `${ratio(r, 'ms').toFixed(2)}x`,
          r.ours.cpu.toFixed(2),
          r.peer.cpu.toFixed(2),
          `${ratio(r, 'cpu').toFixed(2)}x`,
          r.target,
        ]),
      );
    }
    console.log(`medians of ${RUNS.warm}/${RUNS.cold}/${RUNS.extract} alternating runs; extraction: ours ${(unpacked / 1e6 / (ext.ours.ms / 1000)).toFixed(0)} MB/s, tar ${(unpacked / 1e6 / (ext.peer.ms / 1000)).toFixed(0)} MB/s of unpacked bytes`);
    console.log('ours ms for extraction is timed inside the process; its cpu s includes node\'s start and module loading');
  } finally {
    await server.close();
    removeAll(work);
  }
}

await main();
